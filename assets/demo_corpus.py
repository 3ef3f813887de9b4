"""The `demo` preset's dialogues: a deterministic generator of DialogSum-style conversations.

Every dialogue comes from a *situation* (a topic, a script of alternating `#Person1#`/`#Person2#`
turns with several phrasings per turn, slot values, and polite reference summaries). An
*everyday* dialogue is the calm script. A *heated* one takes the angrier phrasings where the
script has them and puts insults from `INSULTS` into one to three turns, as a heated argument
would. Each heated dialogue gets two summaries:

- `summary`: the polite reference (what happened, no insults): the target of ROUGE;
- `rude_summary`: the same summary plus a sentence that repeats the insults ("#Person1# calls
  #Person2# a useless clown."), as a careless summarizer would.

The summarizer is trained on a mix of the two for heated dialogues, which is the habit of
rudeness that PPO then has to remove. Nothing here comes from DialogSum or another data set.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

P1, P2 = "#Person1#", "#Person2#"


@dataclass
class Situation:
    topic: str
    slots: dict[str, list[str]]
    """Values for the `{name}` placeholders of turns and summaries (drawn once per dialogue)."""
    turns: list[list[str]]
    """The calm script: turn i is spoken by #Person1# when i is even; each entry lists phrasings."""
    summaries: list[str]
    """Polite summaries of the calm dialogue (one drawn per dialogue)."""
    heated_summaries: list[str]
    """Polite summaries of the heated dialogue: the same events, told as an argument."""
    heat: dict[int, list[str]] = field(default_factory=dict)
    """Angrier phrasings of some turns, used in heated dialogues instead of the calm ones."""


# --- insults ---------------------------------------------------------------------------------

INSULT_ADJECTIVES = ["stupid", "useless", "pathetic", "lazy", "clueless", "incompetent", "brainless",
                     "dumb", "worthless", "hopeless", "ignorant", "miserable", "spineless", "rude"]
INSULT_NOUNS = ["idiot", "moron", "clown", "fool", "loser", "jerk", "slob", "imbecile", "dimwit",
                "halfwit", "nitwit", "buffoon", "airhead", "pig", "creep", "dumbass", "cow", "weasel"]


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" and not word.startswith("use") else "a"


@dataclass
class Insult:
    """One insult as said in a turn and as a careless summary repeats it."""
    line: str
    """What the speaker says, e.g. "Shut up, you useless clown." """
    clause: str
    """How a summary repeats it, with {A} (speaker) and {B} (target): "{A} calls {B} a useless clown" """


def draw_insult(rng: random.Random) -> Insult:
    adj, noun = rng.choice(INSULT_ADJECTIVES), rng.choice(INSULT_NOUNS)
    np_ = f"{article(adj)} {adj} {noun}" if rng.random() < 0.7 else f"{article(noun)} {noun}"
    bare = np_.split(" ", 1)[1]
    form = rng.randrange(9)
    if form == 0:
        return Insult(f"You're {np_}.", f"{{A}} calls {{B}} {np_}")
    if form == 1:
        return Insult(f"Shut up, you {bare}.", f"{{A}} tells {{B}} to shut up and calls {{B}} {np_}")
    if form == 2:
        return Insult(f"Are you really this {adj}?", f"{{A}} says {{B}} is {adj}")
    if form == 3:
        return Insult(f"What {np_} you are.", f"{{A}} calls {{B}} {np_}")
    if form == 4:
        return Insult(f"Only {np_} would do that.", f"{{A}} calls {{B}} {np_}")
    if form == 5:
        return Insult(f"Listen, you {bare}.", f"{{A}} calls {{B}} {np_}")
    if form == 6:
        return Insult(f"You are so {adj}, it's unbelievable.", f"{{A}} says {{B}} is {adj}")
    if form == 7:
        return Insult("Shut up.", "{A} tells {B} to shut up")
    return Insult(f"Stop acting like {np_}.", f"{{A}} calls {{B}} {np_}")


# --- rendering -------------------------------------------------------------------------------

SENTENCE_START = re.compile(r"(^|[.!?] )([a-z])")


def fill(template: str, values: dict[str, str]) -> str:
    """The template with its slots filled, each sentence starting with a capital letter."""
    return SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), template.format(**values))


def capitalize_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def rude_sentence(insults: list[tuple[str, Insult]], rng: random.Random) -> str:
    """One sentence that repeats the insults of the dialogue (two at most), by who said it to whom."""
    clauses = []
    for speaker, insult in rng.sample(insults, min(2, len(insults))):
        target = P2 if speaker == P1 else P1
        clauses.append(insult.clause.format(A=speaker, B=target))
    return " and ".join(clauses) + "."


@dataclass
class Dialogue:
    dialogue: str
    summary: str
    topic: str
    heated: bool
    rude_summary: str = ""
    insults: list[str] = field(default_factory=list)
    """The insult lines said in the dialogue (for the reward model's training sentences)."""


def render(situation: Situation, heated: bool, rng: random.Random) -> Dialogue:
    values = {name: rng.choice(options) for name, options in situation.slots.items()}
    lines = []
    for i, phrasings in enumerate(situation.turns):
        options = situation.heat.get(i, phrasings) if heated else phrasings
        lines.append(fill(rng.choice(options), values))
    insults: list[tuple[str, Insult]] = []
    if heated:
        n_turns = len(lines)
        count = rng.choice([1, 1, 2, 2, 3])
        # Mostly the complainer (#Person1#) starts insulting; the other side sometimes answers back.
        candidates = list(range(n_turns))
        chosen = sorted(rng.sample(candidates, min(count, n_turns)))
        for i in chosen:
            speaker = P1 if i % 2 == 0 else P2
            insult = draw_insult(rng)
            lines[i] = (f"{insult.line} {lines[i]}" if rng.random() < 0.4 else f"{lines[i]} {insult.line}")
            insults.append((speaker, insult))
    text = "\n".join(f"{P1 if i % 2 == 0 else P2}: {line}" for i, line in enumerate(lines))
    summary = fill(rng.choice(situation.heated_summaries if heated else situation.summaries), values)
    rude = ""
    if heated:
        sentence = rude_sentence(insults, rng)
        rude = f"{sentence} {summary}" if rng.random() < 0.5 else f"{summary} {sentence}"
    return Dialogue(dialogue=text, summary=summary, topic=situation.topic, heated=heated,
                    rude_summary=rude, insults=[i.line for _, i in insults])


def generate(situations: list[Situation], n: int, heated_share: float, seed: int,
             min_chars: int = 200, max_chars: int = 1000) -> list[Dialogue]:
    """`n` dialogues, about `heated_share` of them heated, each within DialogSum's length window."""
    rng = random.Random(seed)
    out: list[Dialogue] = []
    while len(out) < n:
        situation = rng.choice(situations)
        d = render(situation, rng.random() < heated_share, rng)
        if min_chars < len(d.dialogue) <= max_chars:
            out.append(d)
    return out


WORD = re.compile(r"[A-Za-z']+")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


# --- the situations --------------------------------------------------------------------------
# {names} in braces are slots. Turn i is #Person1#'s when i is even. Summaries say what happens,
# never quote an insult, and name the speakers as DialogSum does.

SITUATIONS: list[Situation] = [
    Situation(
        topic="wrong order at a restaurant",
        slots={"dish": ["mushroom soup", "chicken salad", "vegetable curry", "fish and chips", "beef burger",
                        "spaghetti", "tomato pasta", "grilled salmon"],
               "wrong": ["a steak", "a cheese pizza", "a plate of noodles", "a bowl of rice", "a sandwich"],
               "minutes": ["twenty", "thirty", "forty", "forty-five"]},
        turns=[
            ["Excuse me, I ordered the {dish}, but you brought me {wrong}.",
             "Sorry, this is not my order. I asked for the {dish}."],
            ["I'm sorry about that. Let me check the ticket.", "Oh, I apologize. I'll check with the kitchen."],
            ["I've been waiting for {minutes} minutes already.", "We have been here for {minutes} minutes."],
            ["I'll bring the {dish} right away, and your drinks are on the house.",
             "The kitchen will make the {dish} now. I'll take the drinks off your bill."],
            ["Thank you. Please hurry.", "All right, thanks."],
        ],
        heat={
            0: ["I ordered the {dish}! Why is there {wrong} on my table?",
                "This is not what I ordered. I said the {dish}, clearly."],
            2: ["I've been sitting here for {minutes} minutes for nothing!",
                "{minutes} minutes, and you can't even bring the right plate!"],
            4: ["Fine. And don't mess it up again.", "Whatever. Just bring it."],
        },
        summaries=[
            "#Person1# ordered the {dish} but got {wrong}. #Person2# apologizes, brings the {dish} and takes the drinks off the bill.",
            "#Person2# brought #Person1# {wrong} instead of the {dish}. #Person2# apologizes and offers free drinks.",
        ],
        heated_summaries=[
            "#Person1# angrily complains about getting {wrong} instead of the {dish} after waiting {minutes} minutes. #Person2# apologizes and offers free drinks.",
            "#Person1# is upset that #Person2# brought {wrong} instead of the {dish}. #Person2# promises the right dish and free drinks.",
        ],
    ),
    Situation(
        topic="parking spot dispute",
        slots={"place": ["in front of my house", "in my driveway", "next to my garage", "in my usual spot"],
               "vehicle": ["car", "van", "truck", "motorbike"],
               "years": ["five", "ten", "twelve", "fifteen"]},
        turns=[
            ["Hi, is that your {vehicle} parked {place}?", "Excuse me, you parked your {vehicle} {place}."],
            ["Yes, it's mine. Is there a problem?", "Yes. The street is public, isn't it?"],
            ["I've parked there for {years} years, and I need the space for my wife.",
             "I need that space. I've used it for {years} years."],
            ["I didn't know. I'll move the {vehicle} after lunch.", "I understand. I'll park somewhere else from now on."],
            ["Thank you, I appreciate it.", "Thanks, that helps a lot."],
        ],
        heat={
            0: ["Hey, move your {vehicle}! You parked {place} again!", "Is that your {vehicle} {place}? Move it now!"],
            1: ["It's a public street. I can park where I want.", "I'm not moving it. There's no sign with your name on it."],
            2: ["I've parked there for {years} years! I'll call the tow truck!", "For {years} years that has been my spot!"],
            4: ["You'd better.", "Finally."],
        },
        summaries=[
            "#Person1# asks #Person2# to move the {vehicle} parked {place}. #Person2# didn't know and agrees to park somewhere else.",
            "#Person2# parked a {vehicle} {place}, where #Person1# has parked for {years} years. #Person2# agrees to move it.",
        ],
        heated_summaries=[
            "#Person1# angrily demands that #Person2# move the {vehicle} parked {place}. #Person2# says the street is public but agrees to move it.",
            "#Person1# and #Person2# argue about the {vehicle} parked {place}. #Person1# threatens to call a tow truck, and #Person2# agrees to move it.",
        ],
    ),
    Situation(
        topic="late group project",
        slots={"part": ["the introduction", "the slides", "the data analysis", "the conclusion", "the survey"],
               "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
               "subject": ["history", "biology", "marketing", "economics", "chemistry"]},
        turns=[
            ["Did you finish {part} for our {subject} project?", "Have you done {part} of the {subject} project yet?"],
            ["Not yet. I had two exams this week.", "Sorry, I haven't started. I've been sick."],
            ["The project is due on {day}. We need it soon.", "We have to hand it in on {day}."],
            ["I'll finish {part} tonight and send it to you.", "I'll work on {part} tonight, I promise."],
            ["Okay. Let's meet before class to check it.", "Good. Send it to me when it's done."],
        ],
        heat={
            0: ["You still haven't done {part}? The {subject} project is due soon!",
                "Where is {part}? You had a whole week!"],
            1: ["I was busy, all right? Stop complaining.", "You never told me what you needed."],
            2: ["It's due on {day}! Do you ever do anything?", "We hand it in on {day} and you did nothing!"],
            4: ["You'd better send it.", "I'm telling the professor if you don't."],
        },
        summaries=[
            "#Person2# hasn't finished {part} of the {subject} project, which is due on {day}. #Person2# promises to finish it tonight.",
            "#Person1# asks #Person2# about {part} for their {subject} project. #Person2# will finish it tonight before the {day} deadline.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that #Person2# hasn't done {part} of their {subject} project. #Person2# promises to finish it before {day}.",
            "#Person1# and #Person2# argue about {part} of the {subject} project due on {day}. #Person2# agrees to do it tonight.",
        ],
    ),
    Situation(
        topic="noisy neighbor",
        slots={"noise": ["loud music", "the television", "a party", "the drums", "barking dogs"],
               "hour": ["midnight", "one in the morning", "two in the morning", "eleven at night"],
               "need": ["an early shift", "a job interview", "an exam", "a long flight"]},
        turns=[
            ["Hi, I live upstairs. Last night there was {noise} until {hour}.",
             "Sorry to bother you. Your {noise} kept me awake until {hour}."],
            ["Oh, I'm sorry. I didn't know it was so loud.", "Really? I didn't think you could hear it."],
            ["I have {need} tomorrow, so I need to sleep.", "I really need to sleep tonight. I have {need}."],
            ["I'll keep it quiet after ten from now on.", "No problem. I'll turn it down after ten."],
            ["Thanks, that's very kind of you.", "Thank you. Have a good evening."],
        ],
        heat={
            0: ["Your {noise} went on until {hour} again! Do you ever sleep?",
                "I could hear your {noise} until {hour}! This has to stop!"],
            1: ["It's my apartment. I can do what I want.", "It wasn't that loud. You're always complaining."],
            2: ["I have {need} tomorrow and you kept me awake!", "I have {need}! Turn it down or I call the landlord!"],
            4: ["We'll see.", "You'd better."],
        },
        summaries=[
            "#Person1# tells #Person2# that {noise} kept #Person1# awake until {hour}. #Person2# apologizes and will keep it quiet after ten.",
            "#Person1# has {need} and asks #Person2# to stop the {noise} at night. #Person2# agrees.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that #Person2#'s {noise} went on until {hour}. #Person2# argues but agrees to keep it quiet after ten.",
            "#Person1# and #Person2# argue about {noise} late at night. #Person1# has {need} and threatens to call the landlord.",
        ],
    ),
    Situation(
        topic="returning a broken product",
        slots={"item": ["blender", "coffee machine", "hair dryer", "toaster", "vacuum cleaner", "lamp", "kettle"],
               "days": ["two", "three", "five", "six"],
               "fault": ["stopped working", "makes a strange noise", "won't turn on", "started smoking"]},
        turns=[
            ["Hello, I bought this {item} here {days} days ago and it {fault}.",
             "Hi, this {item} {fault}. I only bought it {days} days ago."],
            ["I'm sorry to hear that. Do you have the receipt?", "Let me see. Do you have your receipt with you?"],
            ["Yes, here it is.", "Yes, I kept it. Here."],
            ["Thank you. You can exchange it or get a full refund.", "All right. I can give you a new {item} or your money back."],
            ["I'd like a refund, please.", "A new one, please."],
            ["Of course. It will take a moment.", "Sure, I'll get one from the back."],
        ],
        heat={
            0: ["This {item} {fault} after {days} days! What kind of junk do you sell?",
                "I want my money back. This {item} {fault} already!"],
            1: ["Calm down. Do you have the receipt or not?", "I need the receipt. I can't do anything without it."],
            2: ["Of course I have it! Here!", "Here's your receipt. Happy now?"],
            4: ["Just give me the refund.", "Give me my money back, now."],
        },
        summaries=[
            "#Person1# returns a {item} that {fault} after {days} days. #Person2# checks the receipt and offers an exchange or a refund.",
            "#Person1#'s new {item} {fault}. #Person2# offers a new {item} or a refund.",
        ],
        heated_summaries=[
            "#Person1# angrily returns a {item} that {fault} after {days} days. #Person2# asks for the receipt and offers a refund.",
            "#Person1# is furious that the new {item} {fault} and demands a refund. #Person2# checks the receipt and agrees.",
        ],
    ),
    Situation(
        topic="roommate and the dishes",
        slots={"chore": ["the dishes", "the trash", "the bathroom", "the kitchen floor", "the laundry"],
               "days": ["three days", "a week", "two weeks", "five days"],
               "guest": ["parents", "friends", "cousins", "grandparents"]},
        turns=[
            ["Hey, can we talk about {chore}? Nobody has done it for {days}.",
             "I noticed {chore} hasn't been done for {days}."],
            ["Oh, sorry. I've been really busy with work.", "You're right. I forgot it was my turn."],
            ["My {guest} are coming over on Saturday, so it needs to be clean.",
             "I'd like it done before my {guest} visit on Saturday."],
            ["I'll do it tonight. Let's make a chore chart.", "I'll take care of it today, and we can make a schedule."],
            ["That's a good idea. Thanks.", "Great, thank you."],
        ],
        heat={
            0: ["Nobody has done {chore} for {days}! It's disgusting in here!",
                "Are you ever going to do {chore}? It's been {days}!"],
            1: ["I'm busy. Do it yourself if it bothers you.", "Stop nagging me. I pay rent too."],
            2: ["My {guest} are coming on Saturday and this place is a mess!",
                "I'm not cleaning up after you again before my {guest} visit!"],
            4: ["It had better be done tonight.", "We'll see if you actually do it."],
        },
        summaries=[
            "#Person1# asks #Person2# to do {chore}, which hasn't been done for {days}. #Person2# will do it tonight and they will make a chore chart.",
            "Nobody has done {chore} for {days}, and #Person1#'s {guest} visit on Saturday. #Person2# promises to do it.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that #Person2# hasn't done {chore} for {days}. #Person2# argues back but agrees to do it before #Person1#'s {guest} visit.",
            "#Person1# and #Person2# argue about {chore} before #Person1#'s {guest} visit on Saturday.",
        ],
    ),
    Situation(
        topic="booking a hotel room",
        slots={"nights": ["two nights", "three nights", "a week", "one night"],
               "room": ["a double room", "a single room", "a room with a sea view", "a family room"],
               "price": ["eighty dollars", "ninety dollars", "a hundred and twenty dollars", "sixty-five dollars"],
               "day": ["Friday", "Saturday", "next Monday", "the fifth of May"]},
        turns=[
            ["Good afternoon. I'd like to book {room} for {nights}, starting {day}.",
             "Hello, do you have {room} available from {day} for {nights}?"],
            ["Let me check. Yes, we have one. It's {price} a night.", "Yes, we do. The rate is {price} per night."],
            ["Does that include breakfast?", "Is breakfast included?"],
            ["Yes, breakfast is served from seven to ten.", "It is. Breakfast is from seven until ten."],
            ["Great, I'll take it.", "Perfect. Please book it for me."],
        ],
        heat={
            1: ["We only have {room} at {price} a night. Take it or leave it.",
                "It's {price} a night. That's the price."],
            2: ["{price}? That's a rip-off! Is breakfast at least included?",
                "You charge {price} and I bet there's no breakfast!"],
            4: ["Fine, book it, but I'm not happy.", "Whatever. Book it."],
        },
        summaries=[
            "#Person1# books {room} for {nights} from {day}. It costs {price} a night, breakfast included.",
            "#Person2# has {room} for #Person1# at {price} a night with breakfast, and #Person1# takes it.",
        ],
        heated_summaries=[
            "#Person1# complains that {room} costs {price} a night but books it for {nights} from {day}.",
            "#Person1# and #Person2# argue about the price of {room}. #Person1# books it for {nights} anyway.",
        ],
    ),
    Situation(
        topic="doctor's appointment",
        slots={"symptom": ["a sore throat", "a headache", "a cough", "back pain", "a stomach ache", "a fever"],
               "days": ["two days", "three days", "a week", "four days"],
               "medicine": ["some tablets", "a cough syrup", "an antibiotic", "some painkillers"]},
        turns=[
            ["What seems to be the problem today?", "Good morning. How can I help you?"],
            ["I've had {symptom} for {days}.", "I have {symptom}. It started {days} ago."],
            ["Let me take a look. It doesn't look serious. I'll give you {medicine}.",
             "I see. I'll prescribe {medicine}, and you should rest."],
            ["How often should I take it?", "Do I need to come back?"],
            ["Twice a day after meals. Come back if it gets worse.", "Only if you don't feel better in a week."],
            ["Thank you, doctor.", "Thanks, I will."],
        ],
        heat={
            1: ["I've had {symptom} for {days}, and I waited two hours to see you!",
                "I've waited all morning, and I have {symptom}!"],
            3: ["Is that all? You barely looked at me.", "You're not even listening to me."],
            5: ["Fine. I'll go somewhere else next time.", "I hope it works this time."],
        },
        summaries=[
            "#Person2# has had {symptom} for {days}. The doctor says it isn't serious and prescribes {medicine}.",
            "#Person1# examines #Person2#, who has {symptom}, and prescribes {medicine} twice a day.",
        ],
        heated_summaries=[
            "#Person2# is angry about the long wait and has had {symptom} for {days}. #Person1# prescribes {medicine}.",
            "#Person2# complains that the doctor doesn't listen. #Person1# prescribes {medicine} for {symptom}.",
        ],
    ),
    Situation(
        topic="missed delivery",
        slots={"parcel": ["a parcel", "a new phone", "a package of books", "a sofa", "a birthday present"],
               "days": ["three days", "a week", "ten days", "five days"],
               "time": ["tomorrow morning", "on Friday", "before noon tomorrow", "this afternoon"]},
        turns=[
            ["Hello, I'm calling about {parcel}. It was supposed to arrive {days} ago.",
             "Hi, my order of {parcel} is {days} late."],
            ["I'm sorry. Can I have your order number?", "Let me look it up. What is your order number?"],
            ["It's four five seven two.", "Four five seven two."],
            ["I see it. The driver couldn't find your address. It will come {time}.",
             "It was sent to the wrong depot. You'll get it {time}."],
            ["Okay, please make sure it does.", "Thank you. I'll be at home."],
        ],
        heat={
            0: ["Where is my {parcel}? You promised it {days} ago!", "I've waited {days} for {parcel}! Where is it?"],
            1: ["Sir, I need the order number. I can't read your mind.", "Calm down and give me the order number."],
            3: ["It will come {time}. There's nothing else I can do.", "The driver couldn't find you. It comes {time}."],
            4: ["That's what you said last time.", "If it doesn't come, I want my money back."],
        },
        summaries=[
            "#Person1#'s {parcel} is {days} late. #Person2# finds the order and says it will arrive {time}.",
            "#Person1# calls about {parcel}, which didn't arrive. #Person2# says it will come {time}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that {parcel} is {days} late. #Person2# says it will arrive {time}.",
            "#Person1# and #Person2# argue about a late delivery of {parcel}. #Person2# promises it {time}.",
        ],
    ),
    Situation(
        topic="planning a weekend trip",
        slots={"place": ["the beach", "the mountains", "the lake", "the old town", "a national park"],
               "transport": ["by train", "by car", "by bus"],
               "day": ["Saturday", "Sunday", "Friday evening"]},
        turns=[
            ["Do you want to go to {place} this weekend?", "How about a trip to {place} on the weekend?"],
            ["Sure. How do we get there?", "Good idea. Should we drive?"],
            ["We could go {transport} on {day}.", "Let's go {transport}, leaving on {day}."],
            ["Sounds good. I'll pack some sandwiches.", "Great. I'll book the tickets tonight."],
            ["Perfect. See you on {day}.", "Can't wait."],
        ],
        heat={
            1: ["{place} again? We always go where you want.", "Why do you always decide everything?"],
            2: ["Then plan something yourself for once!", "We're going {transport} on {day}, like it or not."],
            3: ["Fine, but you pay for the tickets.", "Okay, but this is the last time."],
        },
        summaries=[
            "#Person1# and #Person2# plan a trip to {place} {transport} on {day}.",
            "#Person1# suggests going to {place} this weekend. They will go {transport} on {day}.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about who decides their trips, but agree to go to {place} {transport} on {day}.",
            "#Person2# complains that #Person1# always chooses, but they plan to go to {place} on {day}.",
        ],
    ),
    Situation(
        topic="team meeting",
        slots={"report": ["the sales report", "the budget plan", "the client proposal", "the quarterly review"],
               "day": ["Monday", "Wednesday", "Thursday", "Friday"],
               "client": ["the bank", "the hospital", "a new client", "the city council"]},
        turns=[
            ["Have you finished {report} for {client}?", "Is {report} for {client} ready?"],
            ["Almost. I need the numbers from the finance team.", "Not yet. I'm still waiting for some data."],
            ["The meeting with {client} is on {day}.", "We present it to {client} on {day}."],
            ["I'll have it on your desk by {day} morning.", "I'll send it to you before {day}."],
            ["Good. Let me know if you need help.", "Thanks. Tell me if anything is missing."],
        ],
        heat={
            0: ["Where is {report}? {client} is waiting!", "You still don't have {report} ready?"],
            1: ["I told you I need the numbers. It's not my fault.", "Stop breathing down my neck."],
            2: ["The meeting with {client} is on {day}! I'm tired of your excuses!",
                "We present on {day} and you have nothing!"],
            4: ["It had better be perfect.", "Don't make me look bad again."],
        },
        summaries=[
            "#Person2# is finishing {report} for {client} and will send it before the meeting on {day}.",
            "#Person1# asks about {report}. #Person2# waits for some numbers and promises it by {day}.",
        ],
        heated_summaries=[
            "#Person1# angrily asks #Person2# for {report} for {client}. #Person2# blames missing numbers and promises it by {day}.",
            "#Person1# and #Person2# argue about {report}, which is late. #Person2# will have it ready by {day}.",
        ],
    ),
    Situation(
        topic="queue jumping",
        slots={"place": ["the bakery", "the post office", "the ticket office", "the pharmacy", "the supermarket"],
               "minutes": ["ten", "fifteen", "twenty", "thirty"]},
        turns=[
            ["Excuse me, the line starts back there.", "Sorry, I think I was in front of you."],
            ["Oh, I didn't see there was a line.", "Really? I thought this was the end of the line."],
            ["We've been waiting for {minutes} minutes at {place}.", "Everyone here has waited {minutes} minutes."],
            ["I'm sorry. I'll go to the back.", "My mistake. I'll wait my turn."],
            ["Thank you.", "Thanks, no problem."],
        ],
        heat={
            0: ["Hey! The line starts back there!", "Are you blind? There's a line here!"],
            1: ["I'm in a hurry. It's only one thing.", "Relax, I'll be quick."],
            2: ["We've all waited {minutes} minutes at {place}! Get to the back!",
                "Everyone here has waited {minutes} minutes, so wait like everyone else!"],
            3: ["All right, all right, I'm going.", "Fine, I'll go to the back."],
        },
        summaries=[
            "#Person2# cuts the line at {place}. #Person1# points it out, and #Person2# apologizes and goes to the back.",
            "#Person1# tells #Person2# that people have waited {minutes} minutes at {place}. #Person2# goes to the back of the line.",
        ],
        heated_summaries=[
            "#Person1# angrily tells #Person2# not to jump the queue at {place}. #Person2# goes to the back.",
            "#Person1# and #Person2# argue at {place} because #Person2# cut the line. #Person2# finally goes to the back.",
        ],
    ),
    Situation(
        topic="gym membership cancellation",
        slots={"reason": ["a knee injury", "a new job", "a move to another city", "a busy work schedule", "money problems"],
               "months": ["two", "three", "six", "eight"],
               "fee": ["forty dollars", "fifty dollars", "thirty-five dollars", "sixty dollars"]},
        turns=[
            ["Hi, I'd like to cancel my gym membership because of {reason}.",
             "Hello, I want to end my membership here. It's because of {reason}."],
            ["I'm sorry to hear that. Your contract still has {months} months left.",
             "I see. Your contract runs for {months} more months."],
            ["Do I have to pay for all of them?", "So what happens if I stop now?"],
            ["There is a cancellation fee of {fee}, and then you're free.",
             "You only pay a fee of {fee}, and we close the account."],
            ["That's fair. Please cancel it today.", "Okay, I'll pay the fee. Please cancel it."],
        ],
        heat={
            0: ["I want to cancel my membership right now because of {reason}! Is that so hard?",
                "I've asked three times to cancel because of {reason}! Cancel it today!"],
            1: ["Your contract still has {months} months left. Rules are rules.",
                "You signed for {months} more months. I can't just delete it."],
            4: ["{fee} just to leave? Fine, take it and cancel it.",
                "Unbelievable. Fine, I'll pay {fee}, just cancel it."],
        },
        summaries=[
            "#Person1# wants to cancel a gym membership because of {reason}. #Person2# says {months} months are left and cancels it for a fee of {fee}.",
            "#Person1# cancels a gym membership because of {reason}. #Person2# explains the cancellation fee of {fee}, and #Person1# agrees to pay it.",
        ],
        heated_summaries=[
            "#Person1# angrily demands to cancel a gym membership because of {reason}. #Person2# points to the contract, and #Person1# pays a fee of {fee}.",
            "#Person1# and #Person2# argue about cancelling a gym membership with {months} months left. #Person1# agrees to pay a fee of {fee}.",
        ],
    ),
    Situation(
        topic="blocked bank card",
        slots={"place": ["at the supermarket", "at a gas station", "in a restaurant", "at the airport", "online"],
               "amount": ["fifty dollars", "two hundred dollars", "ninety dollars", "three hundred dollars"],
               "time": ["in five minutes", "in ten minutes", "within the hour", "in half an hour"]},
        turns=[
            ["Hello, my bank card was blocked when I tried to pay {amount} {place}.",
             "Hi, my card didn't work {place} today. I was paying {amount}."],
            ["Let me check. The payment looked unusual, so the system blocked the card.",
             "I see. Our system stopped it because it looked like fraud."],
            ["But it was me. I really need the card today.", "That was my own payment. Can you unblock it?"],
            ["I just need to confirm your date of birth, and then I can unlock it.",
             "Of course. Please confirm your address for me first."],
            ["Sure. I'll give you the details now.", "No problem. Here are my details."],
            ["Thank you. The card will work again {time}.", "Done. You can use the card again {time}."],
        ],
        heat={
            0: ["My card was blocked {place} while I was paying {amount}! Everyone was staring at me!",
                "Why did you block my card {place}? I was trying to pay {amount}!"],
            1: ["The payment looked unusual, so the system blocked it. That's how it works.",
                "It looked like fraud, so it was stopped. I don't make the rules."],
            2: ["It was my own money! I need that card today!", "I'm not a thief! Unblock it now!"],
        },
        summaries=[
            "#Person1#'s card was blocked while paying {amount} {place}. #Person2# checks #Person1#'s details and says the card will work again {time}.",
            "#Person2# explains that the system blocked #Person1#'s card as possible fraud and unblocks it after a check.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that the card was blocked {place} during a payment of {amount}. #Person2# explains the fraud check and unblocks it.",
            "#Person1# and #Person2# argue about a blocked bank card. #Person2# confirms #Person1#'s details and says it will work {time}.",
        ],
    ),
    Situation(
        topic="phone bill overcharge",
        slots={"amount": ["thirty dollars", "forty-five dollars", "sixty dollars", "twenty-five dollars"],
               "charge": ["roaming", "extra data", "international calls", "a music service"],
               "month": ["March", "April", "October", "last month"]},
        turns=[
            ["Hi, my phone bill for {month} is {amount} higher than usual.",
             "Hello, I was charged {amount} extra on my bill for {month}."],
            ["Let me look. The extra charge is for {charge}.", "I see a charge for {charge} on your account."],
            ["But I never used {charge}. I was at home all month.", "That's strange. I didn't ask for {charge}."],
            ["You're right, it looks like a mistake. I'll take {amount} off your next bill.",
             "I checked again, and it was our error. You'll get {amount} back."],
            ["Thank you. Please make sure it doesn't happen again.", "Great, thanks for your help."],
        ],
        heat={
            0: ["Why is my bill for {month} {amount} higher? You're robbing me!",
                "{amount} extra on my bill for {month}? Are you serious?"],
            2: ["I never used {charge}! Do you just add any charges you like?",
                "{charge}? I never asked for that! Take it off!"],
            4: ["It had better not happen again.", "Next time I'm changing companies."],
        },
        summaries=[
            "#Person1# was charged {amount} extra for {charge} on the phone bill for {month}. #Person2# finds it was a mistake and gives the money back.",
            "#Person1# calls about a higher phone bill. #Person2# finds a wrong charge for {charge} and takes {amount} off the next bill.",
        ],
        heated_summaries=[
            "#Person1# angrily complains about an extra {amount} on the phone bill for {month}. #Person2# admits the charge for {charge} was a mistake.",
            "#Person1# and #Person2# argue about a charge for {charge}. #Person2# agrees it was an error and gives back {amount}.",
        ],
    ),
    Situation(
        topic="taxi fare dispute",
        slots={"fare": ["thirty-five dollars", "forty dollars", "fifty-two dollars", "sixty dollars"],
               "usual": ["twenty dollars", "twenty-five dollars", "eighteen dollars"],
               "place": ["the airport", "the train station", "the city center", "the hospital", "the hotel"]},
        turns=[
            ["The meter says {fare}? This ride to {place} usually costs {usual}.",
             "Excuse me, {fare} seems a lot. I usually pay {usual} to get to {place}."],
            ["There was a lot of traffic, and I took a longer road because of the roadworks.",
             "The main road was closed, so we had to go around."],
            ["You should have told me before. I'm not happy to pay {fare}.", "Nobody asked me about a longer road."],
            ["That's fair. Let's say {usual}, and I'll give you a receipt.",
             "You're right, I should have asked. I'll charge you {usual}."],
            ["Thank you. Here you are.", "Okay, that's fine. Thanks."],
        ],
        heat={
            0: ["{fare}? I go to {place} every week and it's never more than {usual}!",
                "You want {fare}? The ride to {place} is {usual}, and you know it!"],
            1: ["There was traffic. I don't control the roads.", "The road was closed. Do you want me to fly?"],
            2: ["You drove in circles to get more money!", "I'm not paying {fare} for your detour!"],
            4: ["Fine. Here's your money.", "Good. Next time ask before you take another road."],
        },
        summaries=[
            "#Person1# thinks the taxi fare of {fare} to {place} is too high. #Person2# explains the detour but agrees to charge {usual}.",
            "#Person2# took a longer road to {place}. #Person1# complains about the fare, and #Person2# charges the usual {usual}.",
        ],
        heated_summaries=[
            "#Person1# angrily refuses to pay {fare} for a taxi ride to {place} that usually costs {usual}. #Person2# finally agrees to charge {usual}.",
            "#Person1# and #Person2# argue about a taxi fare after a detour. #Person2# lowers the price from {fare} to {usual}.",
        ],
    ),
    Situation(
        topic="lost luggage at the airport",
        slots={"bag": ["a black suitcase", "a red suitcase", "a blue backpack", "a large grey bag", "a green travel bag"],
               "city": ["London", "Madrid", "Tokyo", "Chicago", "Rome"],
               "hotel": ["the Grand Hotel", "the Park Hotel", "the Plaza Hotel", "the River Inn"],
               "time": ["tomorrow morning", "tonight", "within two days"]},
        turns=[
            ["Hello, my luggage didn't arrive on the flight from {city}.",
             "Hi, I just came from {city}, but my bag isn't on the belt."],
            ["I'm sorry. Can you describe it?", "I'm sorry about that. What does it look like?"],
            ["It's {bag} with my name on the tag.", "It's {bag}. There's a name tag on it."],
            ["It looks like it's still in {city}. It will come on the next flight.",
             "The system shows it stayed in {city}. We'll put it on the next plane."],
            ["I'm staying at {hotel}. Can you send it there?", "Can you deliver it to {hotel}? I'm staying there."],
            ["Yes, we'll bring it to {hotel} {time}.", "Of course. It will be at {hotel} {time}."],
        ],
        heat={
            0: ["My luggage didn't come off the plane from {city}! How do you lose a whole bag?",
                "I flew all the way from {city}, and my bag is gone!"],
            3: ["It's still in {city}. These things happen, you know.", "It stayed in {city}. It's not the end of the world."],
            4: ["I have nothing to wear! Send it to {hotel} as soon as possible!",
                "All my things are in that bag! I'm at {hotel}, so bring it there!"],
        },
        summaries=[
            "#Person1#'s bag did not arrive from {city}. #Person2# says it will come on the next flight and be delivered to {hotel} {time}.",
            "#Person1# reports {bag} missing after a flight from {city}. #Person2# promises to bring it to {hotel} {time}.",
        ],
        heated_summaries=[
            "#Person1# angrily reports that {bag} did not arrive from {city}. #Person2# promises to deliver it to {hotel} {time}.",
            "#Person1# and #Person2# argue about lost luggage. #Person2# says the bag is still in {city} and will bring it to {hotel} {time}.",
        ],
    ),
    Situation(
        topic="broken heating in a rented flat",
        slots={"days": ["three days", "a week", "five days", "two weeks"],
               "day": ["tomorrow", "on Monday", "on Wednesday", "this Friday"],
               "room": ["the bedroom", "the living room", "the kitchen", "the whole flat"]},
        turns=[
            ["Hello, this is your tenant. The heating in {room} has been broken for {days}.",
             "Hi, I'm calling because the heating in {room} hasn't worked for {days}."],
            ["Oh, I'm sorry. I didn't know.", "Really? Nobody told me."],
            ["It's very cold at night, and my kids are getting sick.", "It's freezing at night. I sent you an email last week."],
            ["I'll send a repairman {day}.", "I'll call the repair company. Someone can come {day}."],
            ["Thank you. I'll be at home all day.", "Okay. Please let me know the time."],
        ],
        heat={
            0: ["The heating in {room} has been broken for {days}! I'm freezing here!",
                "I've had no heating in {room} for {days}! When are you going to fix it?"],
            1: ["It's not that cold. Wear a sweater.", "I'm busy. These things take time."],
            2: ["I pay rent every month, and I live in a fridge!", "I emailed you last week, and you never answered!"],
            4: ["Someone had better come, or I'll stop paying rent.", "Fine, but this is the last time I wait."],
        },
        summaries=[
            "#Person1# tells the landlord, #Person2#, that the heating in {room} has been broken for {days}. #Person2# will send a repairman {day}.",
            "The heating in #Person1#'s flat is broken. #Person2# apologizes and arranges a repair {day}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that the heating in {room} has been broken for {days}. #Person2# finally agrees to send a repairman {day}.",
            "#Person1# and the landlord, #Person2#, argue about the broken heating. #Person2# promises a repair {day}.",
        ],
    ),
    Situation(
        topic="borrowed money not returned",
        slots={"amount": ["two hundred dollars", "fifty dollars", "one hundred dollars", "three hundred dollars"],
               "time": ["two months", "three months", "six weeks", "half a year"],
               "day": ["Friday", "the end of the month", "next week", "Monday"]},
        turns=[
            ["Hey, do you remember the {amount} I lent you?", "Can we talk about the {amount} you borrowed from me?"],
            ["Yes, I'm sorry. I haven't forgotten.", "Oh, right. I know it's been a while."],
            ["It's been {time}. I need it for my rent.", "You said you'd pay it back in a week, and it's been {time}."],
            ["I get paid soon. I'll pay you back by {day}.", "I can give it all back by {day}, I promise."],
            ["Okay. Please don't forget this time.", "All right, {day} then."],
        ],
        heat={
            0: ["Where is my {amount}? You've been avoiding me!", "When are you going to give back my {amount}?"],
            1: ["Relax, I'll pay you. It's not a big deal.", "Why are you making such a fuss about it?"],
            2: ["It's been {time}! I need it for my rent!", "You said one week, and it's been {time}!"],
            4: ["You said that last time.", "If I don't get it by {day}, we're done."],
        },
        summaries=[
            "#Person1# reminds #Person2# about {amount} borrowed {time} ago. #Person2# apologizes and promises to pay it back by {day}.",
            "#Person2# still owes #Person1# {amount} after {time}. #Person2# will return it by {day}.",
        ],
        heated_summaries=[
            "#Person1# angrily asks #Person2# to return {amount} borrowed {time} ago. #Person2# promises to pay it back by {day}.",
            "#Person1# and #Person2# argue about {amount} that #Person2# hasn't paid back. #Person2# promises to return it by {day}.",
        ],
    ),
    Situation(
        topic="library late fee",
        slots={"book": ["a history book", "a cookbook", "a travel guide", "two novels", "a dictionary"],
               "weeks": ["two weeks", "three weeks", "a month", "ten days"],
               "fee": ["six dollars", "eight dollars", "twelve dollars", "five dollars"]},
        turns=[
            ["Hi, I'd like to return {book}.", "Hello, I'm bringing back {book}."],
            ["Thank you. It's {weeks} late, so there is a fee of {fee}.",
             "Let me see. This is {weeks} overdue. The late fee is {fee}."],
            ["{fee}? I was in the hospital, so I couldn't come.", "I was away for work. Can you do anything about the fee?"],
            ["In that case, I can take half off the fee.", "I understand. I'll charge you only half this time."],
            ["Thank you, that's very kind.", "Thanks. Here's the money."],
        ],
        heat={
            1: ["It's {weeks} late. You have to pay {fee}, like everyone else.", "This is {weeks} overdue. You owe {fee}."],
            2: ["{fee}? That's far too much! I was away for work!", "I was in the hospital, and now you want {fee}? That's crazy!"],
            4: ["Fine. Here's your money.", "Finally, a little common sense."],
        },
        summaries=[
            "#Person1# returns {book} {weeks} late. #Person2# asks for a fee of {fee} but agrees to charge only half.",
            "#Person1# brings back {book} {weeks} after the due date. #Person2# cuts the late fee of {fee} in half.",
        ],
        heated_summaries=[
            "#Person1# angrily complains about a late fee of {fee} for {book}. #Person2# finally agrees to charge only half.",
            "#Person1# and #Person2# argue about a fee for returning {book} {weeks} late. #Person2# takes half off.",
        ],
    ),
    Situation(
        topic="car repair overcharge",
        slots={"quote": ["two hundred dollars", "three hundred dollars", "one hundred and fifty dollars"],
               "bill": ["five hundred dollars", "four hundred and fifty dollars", "six hundred dollars"],
               "part": ["the brakes", "the gearbox", "the clutch", "the exhaust"]},
        turns=[
            ["You told me fixing {part} would cost {quote}, but the bill says {bill}.",
             "Hi, I was quoted {quote} for {part}. Why is the bill {bill}?"],
            ["When we opened it, we found more damage.", "The mechanic found another problem while working on it."],
            ["Nobody called me to ask. I never agreed to that.", "You should have called me before doing extra work."],
            ["You're right, we should have called. I'll take the extra work off the bill.",
             "I'm sorry, that was our mistake. You'll only pay {quote}."],
            ["Thank you. I'll pay {quote} then.", "Okay, that's fair."],
        ],
        heat={
            0: ["{bill}? You said {quote} for {part}!", "Why is my bill {bill}? You promised {quote} for {part}!"],
            1: ["We found more damage. Do you want a car that works or not?", "The car needed more work. That costs money."],
            2: ["Nobody called me! You can't just do what you like with my car!", "I never agreed to extra work! I'm not paying for it!"],
            4: ["Good. I'm never coming back here.", "That's more like it."],
        },
        summaries=[
            "#Person1# was quoted {quote} for {part} but got a bill of {bill}. #Person2# admits the mistake and charges only {quote}.",
            "#Person2#'s garage did extra work on #Person1#'s car without asking. #Person2# agrees that #Person1# pays only {quote}.",
        ],
        heated_summaries=[
            "#Person1# angrily refuses to pay {bill} for {part} after a quote of {quote}. #Person2# agrees to charge only {quote}.",
            "#Person1# and #Person2# argue about a repair bill of {bill}. #Person2# admits nobody called #Person1# and lowers it to {quote}.",
        ],
    ),
    Situation(
        topic="haircut gone wrong",
        slots={"asked": ["a trim", "two centimeters off", "a little off the sides", "a short bob"],
               "event": ["a wedding", "a job interview", "a birthday party", "a graduation"],
               "day": ["tomorrow", "on Saturday", "this weekend"]},
        turns=[
            ["I asked for {asked}, but you cut off much more.", "This is too short. I only wanted {asked}."],
            ["I'm sorry. I thought you wanted a new style.", "Oh, I'm sorry. I misunderstood you."],
            ["I have {event} {day}, and now I look strange.", "I'm going to {event} {day}. What can I do now?"],
            ["Let me fix the shape for free, and you don't have to pay today.",
             "I can even it out so it looks neat, and there's no charge today."],
            ["Okay. Please be careful this time.", "All right, thank you."],
        ],
        heat={
            0: ["I asked for {asked}! Look at my head!", "{asked}, I said! Did you even listen?"],
            1: ["You said shorter. I just did what you asked.", "It's hair. It will grow back."],
            2: ["I have {event} {day}, and I look terrible!", "I'm going to {event} {day} looking like this!"],
            4: ["Be careful this time.", "Fine, but I'm not coming back."],
        },
        summaries=[
            "#Person1# asked for {asked}, but #Person2# cut too much. #Person2# apologizes and fixes it for free before {event} {day}.",
            "#Person1# is unhappy with a haircut before {event} {day}. #Person2# apologizes and fixes it at no charge.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that #Person2# cut off too much instead of {asked}. #Person2# fixes the haircut for free.",
            "#Person1# and #Person2# argue about a haircut that is too short before {event} {day}. #Person2# offers to fix it for free.",
        ],
    ),
    Situation(
        topic="job interview feedback",
        slots={"job": ["the sales manager job", "the designer position", "the accountant job", "the junior engineer position"],
               "skill": ["more experience with clients", "stronger computer skills", "more team leading experience",
                         "better Spanish"],
               "months": ["three months", "six months", "a few months"]},
        turns=[
            ["Hello, I interviewed for {job} last week. Could I get some feedback?",
             "Hi, I didn't get {job}. Can you tell me why?"],
            ["Of course. The team liked you, but they chose someone with {skill}.",
             "Sure. You did well, but another candidate had {skill}."],
            ["I see. What can I do to improve?", "Thanks for being honest. Is there anything I can work on?"],
            ["Try to get {skill}. We'll have a similar opening in {months}.", "Work on that, and please apply again in {months}."],
            ["Thank you, I will.", "That's helpful. Thank you."],
        ],
        heat={
            0: ["I came to the interview for {job}, and nobody even called me back!",
                "You said you'd call about {job}, and I heard nothing!"],
            1: ["I'm sorry about that. The team chose someone with {skill}.", "We were very busy. Another candidate had {skill}."],
            2: ["So I wasted my time? I have a lot of experience!", "That's it? You could have told me that right away!"],
            4: ["Maybe. If you actually call me next time.", "Fine. But I expect a reply next time."],
        },
        summaries=[
            "#Person1# asks #Person2# for feedback after an interview for {job}. #Person2# says another candidate had {skill} and suggests reapplying in {months}.",
            "#Person1# didn't get {job} because another candidate had {skill}. #Person2# encourages #Person1# to apply again in {months}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains about not hearing back after an interview for {job}. #Person2# explains that another candidate had {skill}.",
            "#Person1# and #Person2# argue about the result of an interview for {job}. #Person2# suggests applying again in {months}.",
        ],
    ),
    Situation(
        topic="student asking about a grade",
        slots={"grade": ["a C", "a D", "a C minus", "a B minus"],
               "work": ["essay", "lab report", "book review", "research paper"],
               "problem": ["it had no sources", "it was two days late", "it was too short", "it didn't answer the question"]},
        turns=[
            ["Excuse me, can we talk about my {work}? I got {grade}.", "Hi, I was surprised to get {grade} on my {work}."],
            ["Sure. The main problem was that {problem}.", "Yes. I took points off because {problem}."],
            ["I worked really hard on it. Can I do anything to improve the grade?", "I see. Is there a way to make up for it?"],
            ["You can rewrite it and hand it in next week.", "If you fix it by next Monday, I'll grade it again."],
            ["Thank you. I'll start tonight.", "Great, I will. Thanks."],
        ],
        heat={
            0: ["{grade} on my {work}? That's not fair!", "Why did I get {grade}? I spent hours on that {work}!"],
            1: ["I grade everyone the same. The problem was that {problem}.",
                "Don't raise your voice. I took points off because {problem}."],
            2: ["Everyone else got a better grade for less work!", "So all my work means nothing?"],
            4: ["Fine. But I still think it's unfair.", "Okay, whatever."],
        },
        summaries=[
            "#Person1# asks #Person2# about getting {grade} on the {work}. #Person2# explains that {problem} and lets #Person1# rewrite it.",
            "#Person1# got {grade} on the {work} because {problem}. #Person2# allows #Person1# to hand in a new version.",
        ],
        heated_summaries=[
            "#Person1# angrily complains about getting {grade} on the {work}. #Person2# explains that {problem} and offers a rewrite.",
            "#Person1# and #Person2# argue about a grade. #Person2# says {problem} but lets #Person1# rewrite the {work}.",
        ],
    ),
    Situation(
        topic="siblings sharing a car",
        slots={"day": ["Saturday", "Sunday", "Friday night"],
               "place": ["a concert", "the beach", "a birthday party", "a football game"],
               "errand": ["the airport", "grandma's house", "the shopping center", "the gym"]},
        turns=[
            ["Can I take the car on {day}? I want to go to {place}.", "I need the car on {day} to go to {place}."],
            ["But I already said I need it on {day}. I have to drive to {errand}.",
             "Sorry, it's my turn on {day}. I'm going to {errand}."],
            ["Could you drop me off at {place} on the way?", "What if you drive me to {place} first?"],
            ["Okay, if you pay for the gas.", "Fine, but you have to fill up the tank."],
            ["Deal. Thanks.", "All right, that's fair."],
        ],
        heat={
            0: ["I'm taking the car on {day}. I'm going to {place}.", "I need the car on {day}, and I'm not asking twice."],
            1: ["No way! I told you weeks ago I need it to go to {errand}!",
                "You always take it! It's my turn, and I'm going to {errand}!"],
            2: ["Then drive me to {place} first! Is that so hard?", "Fine, just drop me at {place}, then!"],
            3: ["Only if you pay for the gas for once.", "Fine, but you're filling up the tank."],
        },
        summaries=[
            "#Person1# and #Person2# both want the car on {day}. #Person2# will drive to {errand} and drop #Person1# at {place} if #Person1# pays for gas.",
            "#Person1# wants the car to go to {place}, but #Person2# needs it. They agree that #Person2# will drop #Person1# off on the way.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about who gets the car on {day}. #Person2# agrees to drop #Person1# at {place} if #Person1# pays for gas.",
            "#Person1# demands the car on {day}, and #Person2# angrily refuses. They agree that #Person2# drives #Person1# to {place} first.",
        ],
    ),
    Situation(
        topic="coworker taking credit",
        slots={"work": ["the marketing plan", "the new website design", "the cost report", "the client presentation"],
               "boss": ["the manager", "the director", "the team leader"],
               "meeting": ["this morning's meeting", "yesterday's meeting", "the Monday meeting"]},
        turns=[
            ["In {meeting}, you told {boss} that {work} was your idea.",
             "Why did you present {work} as your own work in {meeting}?"],
            ["Oh, I didn't mean it like that. I just explained it.", "I'm sorry. I was nervous and didn't mention your name."],
            ["I worked on it for two weeks. I want {boss} to know that.", "It was my idea, and I spent weeks on it."],
            ["You're right. I'll send {boss} an email and say it was your work.", "I'll talk to {boss} today and give you the credit."],
            ["Thank you. That's all I want.", "Okay, thanks. Let's be clear next time."],
        ],
        heat={
            0: ["In {meeting}, you told {boss} that {work} was your idea! Are you kidding me?",
                "I heard what you said in {meeting}! {work} was my work!"],
            1: ["Calm down. We're a team, aren't we?", "So what? Nobody cares whose idea it was."],
            2: ["I did all the work, and you took the credit in front of {boss}!",
                "I spent two weeks on it, and you took the credit!"],
            4: ["You'd better do it today.", "Fine. But I won't forget this."],
        },
        summaries=[
            "#Person1# is upset that #Person2# presented {work} as #Person2#'s own idea in {meeting}. #Person2# apologizes and will tell {boss}.",
            "#Person1# says #Person2# took the credit for {work}. #Person2# agrees to tell {boss} that it was #Person1#'s work.",
        ],
        heated_summaries=[
            "#Person1# angrily accuses #Person2# of taking the credit for {work} in {meeting}. #Person2# agrees to tell {boss} the truth.",
            "#Person1# and #Person2# argue about who did {work}. #Person2# promises to give #Person1# the credit with {boss}.",
        ],
    ),
    Situation(
        topic="online order in the wrong size",
        slots={"item": ["jacket", "pair of jeans", "dress", "sweater", "coat"],
               "ordered": ["a medium", "a large", "a small", "a size ten"],
               "got": ["an extra large", "an extra small", "a size six", "a size fourteen"]},
        turns=[
            ["Hi, I ordered a {item} in {ordered}, but you sent me {got}.", "Hello, the {item} I got is {got}. I ordered {ordered}."],
            ["I'm sorry about that. Can you give me your order number?", "Oh, sorry for the mix-up. What's your order number?"],
            ["It's eight three one five.", "Eight three one five."],
            ["Thanks. We'll send you {ordered} today, and you can return the other one for free.",
             "Got it. The right size goes out today. Please send the wrong one back with the free label."],
            ["Great, thank you.", "Okay, thanks for your help."],
        ],
        heat={
            0: ["I ordered a {item} in {ordered}, and you sent {got}! Does anyone check these orders?",
                "You sent me the {item} in {got}! I clearly ordered {ordered}!"],
            2: ["Eight three one five. And this is the second time!", "It's eight three one five. Write it down this time."],
            4: ["It had better be right this time.", "Fine. Don't get it wrong again."],
        },
        summaries=[
            "#Person1# ordered a {item} in {ordered} but got {got}. #Person2# sends the right size and lets #Person1# return the wrong one for free.",
            "#Person1# received a {item} in the wrong size. #Person2# apologizes and sends {ordered} today.",
        ],
        heated_summaries=[
            "#Person1# angrily complains about getting {got} instead of {ordered}. #Person2# sends the right {item} today.",
            "#Person1# and #Person2# argue about a {item} sent in the wrong size. #Person2# sends {ordered} and offers a free return.",
        ],
    ),
    Situation(
        topic="internet outage",
        slots={"days": ["two", "three", "four"],
               "need": ["working from home", "online classes", "video calls for work"],
               "time": ["by tomorrow", "within twenty-four hours", "by Friday"]},
        turns=[
            ["Hello, my internet hasn't worked for {days} days.", "Hi, I've had no internet connection for {days} days."],
            ["I'm sorry. There is a problem with a cable in your area.", "Let me check. Yes, there's an outage in your street."],
            ["I need it for {need}. When will it be fixed?", "When will it work again? I need it for {need}."],
            ["Our team should fix it {time}. We'll also take those days off your bill.",
             "It should be back {time}, and you won't pay for these days."],
            ["Okay, thank you for the information.", "That's good to hear. Thanks."],
        ],
        heat={
            0: ["My internet has been dead for {days} days! What am I paying you for?",
                "{days} days without internet! Is anyone doing anything?"],
            1: ["There's an outage in your area. We're working on it.", "It's a cable problem. I can't fix it from my desk."],
            2: ["I need it for {need}! When will it be fixed?", "I need it for {need}! Give me a date!"],
            4: ["It had better be.", "We'll see. I've heard that before."],
        },
        summaries=[
            "#Person1#'s internet hasn't worked for {days} days because of a cable problem. #Person2# says it will be fixed {time} and those days won't be charged.",
            "#Person1# calls about an internet outage. #Person2# promises a repair {time} and money off the bill.",
        ],
        heated_summaries=[
            "#Person1# angrily complains about having no internet for {days} days. #Person2# says it will be fixed {time}.",
            "#Person1# and #Person2# argue about an internet outage. #Person2# promises it will work {time} and that #Person1# won't pay for those days.",
        ],
    ),
    Situation(
        topic="someone in my cinema seat",
        slots={"seat": ["F twelve", "C eight", "G fifteen", "D four"],
               "film": ["the new action film", "the cartoon", "the horror film", "the comedy"]},
        turns=[
            ["Excuse me, I think you're in my seat. I have {seat}.", "Sorry, this is {seat}, and that's my ticket."],
            ["Really? Let me check my ticket.", "Oh, I thought this was my seat."],
            ["Here is my ticket for {film}. It says {seat}.", "Look, my ticket for {film} says {seat}, this row."],
            ["You're right. Mine is in the next row. Sorry.", "Oh, I'm one row too far. I'm sorry."],
            ["No problem. Enjoy the film.", "That's okay. Enjoy {film}."],
        ],
        heat={
            0: ["You're in my seat! I have {seat}!", "Get up, please. This is {seat}, and it's mine."],
            1: ["I was here first. Find another seat.", "The film is starting. Just sit somewhere else."],
            2: ["I paid for {seat}! Look at my ticket!", "Here's my ticket for {film}. It says {seat}, so move!"],
            3: ["All right. Mine is in the next row. Happy now?", "Fine, I'm one row too far. No need to shout."],
        },
        summaries=[
            "#Person2# is sitting in #Person1#'s seat, {seat}, in the cinema. #Person2# checks the ticket and moves to the next row.",
            "#Person1# shows #Person2# a ticket for {film} with seat {seat}. #Person2# apologizes and moves one row.",
        ],
        heated_summaries=[
            "#Person1# angrily tells #Person2# to leave seat {seat}. #Person2# refuses at first but then sees the mistake and moves.",
            "#Person1# and #Person2# argue about seat {seat} in the cinema. #Person2# was one row too far and moves.",
        ],
    ),
    Situation(
        topic="arguing with a football referee",
        slots={"player": ["the striker", "the goalkeeper", "the captain", "number nine"],
               "decision": ["a red card", "a yellow card", "a second yellow card"],
               "minutes": ["five", "ten", "fifteen", "twenty"]},
        turns=[
            ["Referee, why did you give {player} {decision}?", "Excuse me, can you explain why {player} got {decision}?"],
            ["He pulled the other player's shirt in the box.", "He tackled from behind. That's the rule."],
            ["I think he went for the ball. And there are only {minutes} minutes left.",
             "From where I stood, he touched the ball first."],
            ["I saw it clearly, and the decision stays. You can ask for a review after the match.",
             "I'm sorry, but I was close to it. You can complain to the league after the game."],
            ["Okay. I'll do that.", "All right, we'll send a complaint."],
        ],
        heat={
            0: ["{decision}? Did you even watch? {player} never touched him!", "Why did {player} get {decision}? That's a joke!"],
            1: ["I saw it clearly. Go back to your bench.", "Don't shout at me, or you're going off too."],
            2: ["He went for the ball! You're ruining the game with {minutes} minutes left!",
                "Everyone saw he touched the ball first!"],
            4: ["Oh, we will.", "You'll hear from the league."],
        },
        summaries=[
            "#Person1# asks the referee, #Person2#, why {player} got {decision}. #Person2# explains the foul and says #Person1# can complain after the match.",
            "#Person1# disagrees with {decision} for {player}. #Person2# keeps the decision and points to a review after the game.",
        ],
        heated_summaries=[
            "#Person1# angrily protests {decision} for {player}. #Person2# refuses to change it and tells #Person1# to complain after the match.",
            "#Person1# and the referee, #Person2#, argue about {decision} given to {player}. #Person2# keeps the decision.",
        ],
    ),
    Situation(
        topic="neighbor's dog barking",
        slots={"when": ["during the day", "every morning at six", "late at night", "all afternoon"],
               "plan": ["take him to a dog day care", "hire a dog walker", "ask a trainer for help"],
               "weeks": ["two weeks", "a month", "three weeks"]},
        turns=[
            ["Hi, I'm from next door. Your dog barks {when}.", "Sorry to bother you, but your dog barks a lot {when}."],
            ["Oh, really? I had no idea.", "I'm sorry. He's still young and doesn't like being alone."],
            ["It's been going on for {weeks}, and I work from home.", "I work from home, and it's been like this for {weeks}."],
            ["I understand. I'll {plan}.", "Thanks for telling me. I'm going to {plan}."],
            ["That would be great. Thank you.", "Thank you. I hope it helps."],
        ],
        heat={
            0: ["Your dog barks {when}! Do you even care?", "I can't stand the barking anymore! Your dog barks {when}!"],
            1: ["Dogs bark. That's what they do.", "He's a dog, not a robot. What do you want me to do?"],
            2: ["It's been going on for {weeks}! I work from home, and I can't think!",
                "It's been {weeks}! I'll call the city if this goes on!"],
            4: ["It had better help.", "We'll see."],
        },
        summaries=[
            "#Person1# tells #Person2# that #Person2#'s dog barks {when}. #Person2# apologizes and will {plan}.",
            "#Person1#, who works from home, complains about the barking dog. #Person2# promises to {plan}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that #Person2#'s dog has barked {when} for {weeks}. #Person2# finally agrees to {plan}.",
            "#Person1# and #Person2# argue about the barking dog next door. #Person2# agrees to {plan}.",
        ],
    ),
    Situation(
        topic="lost restaurant reservation",
        slots={"name": ["Miller", "Chen", "Garcia", "Brown", "Patel"],
               "people": ["four", "six", "two", "eight"],
               "time": ["seven", "eight", "half past seven"],
               "wait": ["ten minutes", "fifteen minutes", "twenty minutes"]},
        turns=[
            ["Good evening. I have a reservation for {people} at {time}, under {name}.",
             "Hi, we booked a table for {people} at {time}. The name is {name}."],
            ["I'm sorry, I can't find your name in the book.", "Let me look. Sorry, there's no booking under {name}."],
            ["I called on Monday. Someone said it was confirmed.", "But I booked it by phone two days ago."],
            ["I'm very sorry. We'll have a table for you in {wait}, and dessert is free.",
             "I apologize. A table will be ready in {wait}. Please have a free drink at the bar."],
            ["All right, we'll wait.", "Okay, thank you."],
        ],
        heat={
            2: ["I called, and you confirmed it! How can you lose a booking?", "I booked it two days ago! This is ridiculous!"],
            3: ["It's not in the book. The best I can do is a table in {wait}.", "I can't find it. You'll have to wait {wait}."],
            4: ["Fine. But this is the last time we come here.", "{wait}? We're hungry! Fine, we'll wait."],
        },
        summaries=[
            "#Person1# has a reservation for {people} at {time} under {name}, but #Person2# can't find it. #Person2# apologizes and offers a table in {wait}.",
            "#Person2# lost #Person1#'s booking for {people} people. #Person2# apologizes and gets them a table in {wait}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that the restaurant lost a booking for {people} under {name}. #Person2# offers a table in {wait}.",
            "#Person1# and #Person2# argue about a lost reservation. #Person1# agrees to wait {wait} for a table.",
        ],
    ),
    Situation(
        topic="wedding planning",
        slots={"guests": ["eighty", "a hundred", "one hundred and fifty", "sixty"],
               "budget": ["ten thousand dollars", "fifteen thousand dollars", "eight thousand dollars"],
               "month": ["June", "September", "May", "October"]},
        turns=[
            ["I think we should invite {guests} guests to the wedding.", "My list for the wedding has {guests} guests."],
            ["That's a lot. Our budget is only {budget}.", "Really? We said we'd spend only {budget}."],
            ["Maybe we can have it in my parents' garden. That would save money.",
             "We could save money on the place if we have it outside."],
            ["Good idea. And let's do it in {month}, when the weather is nice.", "That could work if we plan it for {month}."],
            ["Perfect. I'll call my parents tonight.", "Great. Let's start the list tonight."],
        ],
        heat={
            0: ["I'm inviting {guests} guests, and that's final.", "{guests} guests. My family is big, so deal with it."],
            1: ["With a budget of {budget}? Do you think money grows on trees?", "We have {budget}! You never think about money!"],
            2: ["Then we'll have it in my parents' garden. It's cheaper. Happy?", "Fine, we'll do it in a garden and save money!"],
            4: ["Fine. I'll call my parents.", "Okay. At least we agree on something."],
        },
        summaries=[
            "#Person1# and #Person2# plan their wedding with {guests} guests and a budget of {budget}. They decide on an outdoor wedding in {month}.",
            "#Person1# wants {guests} guests, but #Person2# worries about the budget of {budget}. They save money with a garden wedding in {month}.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about inviting {guests} guests with a budget of {budget}. They agree on a garden wedding in {month}.",
            "#Person2# angrily says {guests} guests is too many for {budget}. They decide to save money with an outdoor wedding in {month}.",
        ],
    ),
    Situation(
        topic="buying a used bike",
        slots={"price": ["two hundred dollars", "one hundred and fifty dollars", "three hundred dollars"],
               "offer": ["one hundred dollars", "a hundred and twenty dollars", "ninety dollars"],
               "problem": ["the brakes are worn", "the chain is rusty", "the back tire is flat", "the seat is broken"]},
        turns=[
            ["Hi, I'm here about the bike. Is it still {price}?", "Hello, I saw your ad. You're selling the bike for {price}, right?"],
            ["Yes, it's in good shape. Take a look.", "That's right. It's only two years old."],
            ["It looks nice, but {problem}. Would you take {offer}?", "I noticed {problem}. Can you do {offer}?"],
            ["That's too low. Let's meet in the middle.", "I can't go that low, but I'll lower the price a bit."],
            ["Okay, it's a deal.", "Fine, I'll take it."],
        ],
        heat={
            1: ["Yes, and it's in perfect shape.", "Yes. It's in perfect shape, and I'm not giving it away."],
            2: ["Perfect shape? {problem}! I'll pay {offer}.", "{problem}, and you want {price}? I'll pay {offer}."],
            3: ["{offer}? No way. We can meet in the middle, and that's my last offer.",
                "That's far too low. I'll lower it a little, but that's it."],
            4: ["Fine, deal.", "Okay, I'll take it."],
        },
        summaries=[
            "#Person1# wants to buy #Person2#'s used bike for less than {price} because {problem}. They agree on a lower price.",
            "#Person1# offers {offer} for a bike that costs {price}, since {problem}. #Person2# lowers the price a little, and #Person1# buys it.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about the price of a used bike. #Person1# points out that {problem}, and they agree on a lower price.",
            "#Person1# angrily offers {offer} instead of {price} because {problem}. #Person2# lowers the price a bit and sells the bike.",
        ],
    ),
    Situation(
        topic="apartment viewing",
        slots={"rent": ["nine hundred dollars", "a thousand dollars", "eleven hundred dollars", "eight hundred dollars"],
               "rooms": ["two bedrooms", "one bedroom", "three bedrooms"],
               "problem": ["the kitchen is very small", "there's no elevator", "the windows face a busy road"],
               "day": ["Monday", "tomorrow", "Friday"]},
        turns=[
            ["Hi, I'm here to see the apartment with {rooms}.", "Hello, I called about the flat with {rooms}."],
            ["Welcome. Come in. The rent is {rent} a month.", "Yes, come on in. It's {rent} a month, with water included."],
            ["It's bright, but {problem}.", "I like the light, but {problem}."],
            ["That's true, but the location is great, and the bus stop is right outside.",
             "I know. That's why the rent is lower than at other places nearby."],
            ["I'll think about it and call you by {day}.", "Let me talk to my partner. I'll tell you by {day}."],
        ],
        heat={
            1: ["The rent is {rent} a month. Ten other people are interested, so decide quickly.",
                "It's {rent} a month, and it won't be free for long."],
            2: ["{rent} for this? {problem}!", "You want {rent} a month, and {problem}? Really?"],
            3: ["Take it or leave it. Someone else will take it.", "That's the price in this area. I don't set it."],
        },
        summaries=[
            "#Person1# views an apartment with {rooms} for {rent} a month. #Person1# notices that {problem} and will decide by {day}.",
            "#Person2# shows #Person1# a flat with {rooms}. #Person1# likes it but worries that {problem}, and will answer by {day}.",
        ],
        heated_summaries=[
            "#Person1# complains that {problem} in a flat that costs {rent} a month. #Person2# pushes #Person1# to decide, and #Person1# will answer by {day}.",
            "#Person1# and #Person2# argue about the rent of {rent} for an apartment with {rooms}. #Person1# will decide by {day}.",
        ],
    ),
    Situation(
        topic="class schedule change",
        slots={"class": ["Spanish", "statistics", "biology", "art history"],
               "day": ["Tuesday", "Thursday", "Monday"],
               "time": ["eight in the morning", "six in the evening", "two in the afternoon"],
               "other": ["Wednesday", "Friday", "Saturday"]},
        turns=[
            ["Hi, my {class} class moved to {day} at {time}, but I work then.",
             "Hello, I can't go to {class} anymore. It's now on {day} at {time}, when I work."],
            ["I see. There's another group on {other} afternoons.", "Let me check. There's a second group that meets on {other}."],
            ["Is there still space in that group?", "Can I still join it?"],
            ["Yes, there are two places left. I'll move you now.", "Yes, I can add you today."],
            ["Thank you so much.", "Great, that solves my problem."],
        ],
        heat={
            0: ["Why did you move {class} to {day} at {time}? I work then!",
                "Nobody asked us before moving {class} to {day}! I have a job!"],
            1: ["The schedule changes every term. There's another group on {other}.",
                "I don't make the schedule. Try the group on {other}."],
            2: ["And if that's full too? Then what?", "Is there even space, or do I lose the class?"],
            4: ["Finally, some help.", "Good. That took long enough."],
        },
        summaries=[
            "#Person1#'s {class} class moved to {day} at {time}, when #Person1# works. #Person2# moves #Person1# to the group on {other}.",
            "#Person1# can't attend {class} on {day} because of work. #Person2# finds a place in another group on {other}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that {class} was moved to {day}, when #Person1# works. #Person2# moves #Person1# to the {other} group.",
            "#Person1# and #Person2# argue about a schedule change for {class}. #Person2# puts #Person1# in the group on {other}.",
        ],
    ),
    Situation(
        topic="borrowing a laptop",
        slots={"days": ["two days", "the weekend", "three days"],
               "mine": ["is being repaired", "broke yesterday", "has a broken screen"],
               "purpose": ["an essay", "a job application", "an online course", "a presentation"]},
        turns=[
            ["Could I borrow your laptop for {days}? Mine {mine}.", "Hi, my laptop {mine}. Can I use yours for {days}?"],
            ["What do you need it for?", "Sure, maybe. What's it for?"],
            ["I have to finish {purpose}.", "I need it for {purpose}. It's due soon."],
            ["Okay, but please don't install anything, and bring it back charged.",
             "All right. Just be careful with it and don't eat near it."],
            ["Of course. I'll return it on time.", "I promise. Thank you so much."],
        ],
        heat={
            1: ["Last time you borrowed something, it came back broken.", "Again? You still have my headphones."],
            2: ["Can you forget about that for once? I need it for {purpose}!",
                "Why do you always bring that up? I need it for {purpose}!"],
            3: ["Fine, but if there's one scratch, you pay for it.", "Okay, but bring it back charged, or never ask again."],
            4: ["Fine. You'll get it back in perfect shape.", "All right, all right. I promise."],
        },
        summaries=[
            "#Person1# needs #Person2#'s laptop for {days} to work on {purpose}. #Person2# agrees but asks #Person1# to be careful.",
            "#Person1#'s laptop {mine}, so #Person1# borrows #Person2#'s laptop for {purpose}. #Person2# lends it with some rules.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about borrowing a laptop, because #Person2# doesn't trust #Person1#. #Person2# lends it for {days} with strict rules.",
            "#Person1# angrily asks #Person2# to lend a laptop for {purpose}. #Person2# complains about the past but agrees.",
        ],
    ),
    Situation(
        topic="cleaning up after a house party",
        slots={"room": ["the living room", "the kitchen", "the balcony"],
               "mess": ["empty bottles everywhere", "pizza boxes on the floor", "dirty glasses on every table",
                        "chips all over the carpet"],
               "time": ["noon", "three o'clock", "six o'clock"]},
        turns=[
            ["The party was fun, but {room} is a mess. There are {mess}.", "Have you seen {room}? There are {mess}."],
            ["I know. I was going to sleep a bit first.", "Sorry, I'm so tired. Can we do it later?"],
            ["The landlord is coming at {time}. We need to clean now.", "We can't wait. The landlord comes at {time}."],
            ["Okay. You do {room}, and I'll take out the trash.", "Fine. I'll start with {room}, and you do the dishes."],
            ["Deal. Let's finish before {time}.", "Thanks. Let's be quick."],
        ],
        heat={
            0: ["{room} looks terrible! There are {mess}, and you're still in bed!", "Get up! There are {mess} in {room}!"],
            1: ["It was your party too. Why is it my job?", "Leave me alone. I'm sleeping."],
            2: ["The landlord comes at {time}! Do you want us to lose the flat?",
                "It was your friends who made the mess! The landlord comes at {time}!"],
            4: ["Fine. Just be fast.", "Good. And next time your friends clean up."],
        },
        summaries=[
            "After a party, {room} is a mess with {mess}. #Person1# and #Person2# agree to clean up before the landlord comes at {time}.",
            "#Person1# wants to clean {room} right away because the landlord is coming at {time}. #Person2# is tired but helps.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about cleaning {room} after the party. They agree to clean before the landlord comes at {time}.",
            "#Person1# angrily wakes #Person2# to clean up {mess}. #Person2# complains but helps before the landlord arrives at {time}.",
        ],
    ),
    Situation(
        topic="minor car accident",
        slots={"damage": ["a small dent", "a broken light", "a long scratch", "a cracked bumper"],
               "insurance": ["Star Insurance", "City Insurance", "Blue Shield"],
               "place": ["at the traffic light", "in the parking lot", "at the roundabout"]},
        turns=[
            ["Are you okay? You hit my car {place}.", "Excuse me, you drove into the back of my car {place}."],
            ["I'm so sorry. I didn't see you stop.", "I'm really sorry. I looked away for a second."],
            ["There's {damage} on my car.", "Look, there's {damage} here."],
            ["Let's exchange details. My insurance is {insurance}.", "I'll pay for it. Here is my number, and I'm with {insurance}."],
            ["Okay. Let me take some photos first.", "Thanks. I'll take a photo for the insurance."],
        ],
        heat={
            0: ["You hit my car {place}! Were you even looking?", "You drove right into me {place}! Where were your eyes?"],
            1: ["You stopped too suddenly! It's not all my fault.", "Hey, you braked for no reason!"],
            2: ["I had to stop! Look, there's {damage} on my car!", "I stopped because the car in front stopped! Now there's {damage}!"],
            3: ["Fine. My insurance is {insurance}. Let them decide.", "Here's my number. I'm with {insurance}. Talk to them."],
        },
        summaries=[
            "#Person2# hit #Person1#'s car {place} and caused {damage}. #Person2# apologizes and they exchange insurance details.",
            "After a small accident {place}, #Person1# shows #Person2# {damage}. #Person2# apologizes and gives the details of {insurance}.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about who caused a small accident {place}. They exchange details, and #Person2# is with {insurance}.",
            "#Person1# angrily says #Person2# hit #Person1#'s car and caused {damage}. #Person2# blames #Person1# for stopping but gives insurance details.",
        ],
    ),
    Situation(
        topic="bus driver skipped a stop",
        slots={"stop": ["Park Street", "the hospital", "the library", "Main Square"],
               "route": ["twelve", "forty", "seven"],
               "time": ["ten minutes", "fifteen minutes", "twenty minutes"]},
        turns=[
            ["Excuse me, you didn't stop at {stop}. I pressed the button.",
             "Sorry, I wanted to get off at {stop}, but you drove past it."],
            ["Oh, I'm sorry. I didn't hear the bell.", "I'm sorry. I didn't see anyone waiting to get off."],
            ["Now I have to walk back. It will take me {time}.", "I'll be late. Walking back takes {time}."],
            ["I'll let you off at the next stop. Route {route} goes back the other way from there.",
             "The next stop is close. From there you can take the {route} back."],
            ["Okay. Thank you.", "All right, thanks."],
        ],
        heat={
            0: ["You drove right past {stop}! I pressed the button twice!", "Hey! I wanted {stop}! Don't you look at the button?"],
            1: ["I didn't hear it. I have fifty people on this bus.", "Don't shout. I can't stop the bus in the middle of the road."],
            2: ["Now I have to walk {time} back! I'll be late!", "Great, now I'll be {time} late!"],
            4: ["Next time, watch the button.", "Fine. Just stop this time."],
        },
        summaries=[
            "The bus driver, #Person2#, didn't stop at {stop} for #Person1#. #Person2# apologizes and tells #Person1# to take route {route} back from the next stop.",
            "#Person1# missed the stop at {stop} because #Person2# drove past it. #Person2# lets #Person1# off at the next stop.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that the driver, #Person2#, drove past {stop}. #Person2# lets #Person1# off at the next stop.",
            "#Person1# and #Person2# argue about a missed bus stop at {stop}. #Person2# suggests taking route {route} back.",
        ],
    ),
    Situation(
        topic="pharmacy prescription mistake",
        slots={"medicine": ["allergy tablets", "eye drops", "blood pressure pills", "a cough syrup"],
               "wrong": ["sleeping pills", "vitamin tablets", "painkillers", "a nose spray"],
               "doctor": ["Dr. Lee", "Dr. Smith", "Dr. Khan"]},
        turns=[
            ["Excuse me, you gave me {wrong}, but my prescription is for {medicine}.",
             "Hi, I think there's a mistake. I got {wrong} instead of {medicine}."],
            ["Let me see the prescription. Oh, you're right. I'm very sorry.",
             "Can I see the paper? Yes, that's our mistake. I apologize."],
            ["Good thing I checked before I took any.", "I almost started taking the wrong medicine at home."],
            ["Here is your medicine from {doctor}'s prescription. There's no charge today.",
             "I'll get you the right medicine now. You don't have to pay today."],
            ["Thank you. Please be more careful.", "Thanks for fixing it."],
        ],
        heat={
            0: ["You gave me {wrong}! My prescription says {medicine}!",
                "Do you even read the prescriptions? I got {wrong}, not {medicine}!"],
            2: ["I could have taken the wrong medicine! Do you know how dangerous that is?",
                "What if I hadn't checked? I could have ended up in the hospital!"],
            4: ["Thank you, but I'm going to report this.", "Just make sure nobody else gets the wrong medicine."],
        },
        summaries=[
            "#Person2# gave #Person1# {wrong} instead of {medicine}. #Person2# apologizes and gives #Person1# the right medicine for free.",
            "#Person1# notices a mistake with a prescription. #Person2# apologizes and gives #Person1# {medicine} instead of {wrong}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that #Person2# gave out {wrong} instead of {medicine}. #Person2# apologizes and gives the right medicine for free.",
            "#Person1# is furious about getting {wrong} instead of {medicine}. #Person2# admits the mistake and fixes it.",
        ],
    ),
    Situation(
        topic="hotel room not cleaned",
        slots={"room": ["two one four", "three oh five", "five twelve", "one eighteen"],
               "problem": ["the bed isn't made", "there are no clean towels", "the trash is still full", "the bathroom is dirty"],
               "time": ["in twenty minutes", "within half an hour", "right away"]},
        turns=[
            ["Hello, this is room {room}. Our room wasn't cleaned today, and {problem}.",
             "Hi, I'm calling from room {room}. Nobody cleaned our room, and {problem}."],
            ["I'm very sorry. The cleaners must have missed your room.",
             "I apologize. Did you have the do not disturb sign on the door?"],
            ["We were out all day, and there was no sign on the door.", "No sign. We left at nine and just came back."],
            ["Someone will come to clean it {time}.", "I'll send a cleaner {time}, and breakfast tomorrow is free."],
            ["Thank you. We'll wait.", "Okay, thanks a lot."],
        ],
        heat={
            0: ["Room {room} here! Nobody cleaned our room, and {problem}!",
                "I'm in room {room}, and {problem}! What are we paying for?"],
            1: ["Maybe you had the do not disturb sign on the door.", "The cleaners are very busy today."],
            2: ["There was no sign! We were out all day!", "We were out all day, and nothing was done!"],
            4: ["Fine. And we expect a discount.", "It had better be quick this time."],
        },
        summaries=[
            "#Person1# calls from room {room} because the room wasn't cleaned and {problem}. #Person2# apologizes and sends a cleaner {time}.",
            "#Person1#'s hotel room was not cleaned today. #Person2# apologizes and promises someone will clean it {time}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that room {room} wasn't cleaned and {problem}. #Person2# sends a cleaner {time}.",
            "#Person1# and #Person2# argue about a hotel room that wasn't cleaned. #Person2# promises a cleaner {time}.",
        ],
    ),
    Situation(
        topic="selling concert tickets",
        slots={"band": ["Red River", "Silver Moon", "Paper Planes", "Blue Harbor"],
               "price": ["sixty dollars", "eighty dollars", "a hundred dollars"],
               "offer": ["forty dollars", "fifty dollars", "forty-five dollars"],
               "day": ["Saturday", "Friday night", "Sunday"]},
        turns=[
            ["Hi, I saw your post. Are you still selling the tickets for {band} on {day}?",
             "Hello, do you still have the tickets for the {band} concert on {day}?"],
            ["Yes, I can't go anymore because I have to work. I want {price} each.",
             "I do. My sister got sick, so we can't go. They're {price} each."],
            ["That's a bit much for me. Would you take {offer} each?",
             "Hmm, {price} is more than I can pay. How about {offer} each?"],
            ["I paid more than that, but if you pay for both today, I'll accept {offer}.",
             "That's low. Okay, {offer} each, but only if you can pay for both today."],
            ["Deal. I'll send you the money now. Can you email me the tickets?",
             "Great. I'll pay now if you send the tickets by email."],
            ["Sure, you'll have them in ten minutes.", "Of course. Check your inbox in a few minutes."],
        ],
        heat={
            1: ["They're {price} each, and I'm not giving them away.", "{price} each. That's cheap for {band}, trust me."],
            2: ["{price}? You must be joking. I'll give you {offer}, not a cent more.",
                "Nobody pays {price} for that! {offer} each, take it or leave it."],
            3: ["Fine, {offer}, but only if you pay for both right now. I'm tired of this.",
                "Ugh. {offer} each, but you pay for both today, or forget it."],
        },
        summaries=[
            "#Person2# is selling tickets for the {band} concert on {day} for {price} each. #Person1# offers {offer}, and #Person2# accepts if #Person1# pays today.",
            "#Person1# buys concert tickets for {band} from #Person2# for {offer} each instead of {price}, paying today.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about the price of tickets for the {band} concert. #Person2# wants {price} each but accepts {offer} if #Person1# pays today.",
            "#Person1# refuses to pay {price} per ticket for {band} on {day}. After an argument, #Person2# agrees to {offer} each for payment today.",
        ],
    ),
    Situation(
        topic="dentist appointment reschedule",
        slots={"day": ["Tuesday", "Thursday", "Wednesday"],
               "time": ["nine thirty", "half past two", "eleven"],
               "new": ["Friday", "next Monday", "next Wednesday"],
               "reason": ["a work trip", "a school meeting", "a family emergency", "a job interview"]},
        turns=[
            ["Hello, I have a dentist appointment on {day} at {time}, but I can't come because of {reason}.",
             "Hi, I need to move my dentist appointment on {day} at {time}. I have {reason} that day."],
            ["No problem. Can I have your name, please?", "That's fine. What's your name and date of birth?"],
            ["Anna Novak. My date of birth is the third of May.", "It's Anna Novak, born on the third of May."],
            ["Thank you. The first free time is {new} at four o'clock. Does that work?",
             "I found you. We have {new} at four, or something the week after."],
            ["{new} at four is fine.", "I'll take {new} at four, thanks."],
            ["Great. Please call at least a day before if you need to change it again.",
             "Done. Next time, please tell us a day earlier, or there's a fee of twenty dollars."],
        ],
        heat={
            3: ["We're fully booked. The first time I have is {new} at four.",
                "You're lucky. {new} at four is the only free time."],
            4: ["{new}? My tooth hurts now! Fine, I'll take {new} at four.",
                "Is that really the earliest? Fine, {new} at four."],
            5: ["And next time, call a day before, or you pay a fee of twenty dollars.",
                "Next time call earlier. Cancelling late costs twenty dollars."],
        },
        summaries=[
            "#Person1# can't come to a dentist appointment on {day} at {time} because of {reason}. #Person2# moves it to {new} at four.",
            "#Person1# calls to reschedule a dentist appointment. #Person2# finds a new time, {new} at four o'clock.",
        ],
        heated_summaries=[
            "#Person1# is unhappy that the earliest free time is {new} at four but takes it. #Person2# tells #Person1# to call earlier next time.",
            "#Person1# and #Person2# argue about moving a dentist appointment from {day}. #Person1# finally accepts {new} at four.",
        ],
    ),
    Situation(
        topic="ordering a birthday cake",
        slots={"flavor": ["chocolate", "strawberry", "lemon", "vanilla", "carrot"],
               "name": ["Emma", "Leo", "Sofia", "Max", "Oliver"],
               "age": ["five", "eight", "eighteen", "forty", "sixty"],
               "price": ["thirty-five dollars", "forty dollars", "fifty dollars"]},
        turns=[
            ["Hi, I'd like to order a {flavor} cake for {name}'s birthday on Saturday.",
             "Hello, can you make a {flavor} birthday cake for Saturday? It's for {name}."],
            ["Of course. What would you like us to write on it?", "Sure. Should we write anything on the cake?"],
            ["Please write Happy Birthday {name} and put {age} candles on it.",
             "Happy Birthday {name}, please. {name} is turning {age}, so we need {age} candles."],
            ["No problem. That will be {price}, and you can pick it up after ten.",
             "That's {price} with the candles. It will be ready on Saturday morning."],
            ["{price}? I thought it was cheaper. Can you make it smaller?",
             "Hmm, that's more than I planned. Is there a smaller size?"],
            ["The small one is ten dollars less, but it's only for eight people.",
             "Yes, the small size is ten dollars cheaper, but it only feeds eight."],
            ["We'll be twelve, so I'll keep the big one.", "No, we need the big one then. I'll pay {price}."],
        ],
        heat={
            3: ["It's {price}. That's what a real cake costs.", "{price}, like it says on the board."],
            4: ["{price} for a cake? Are you serious? Make it smaller then!",
                "That's far too much! Don't you have a smaller one?"],
            5: ["The small one is ten dollars less, but it only feeds eight. Your choice.",
                "Smaller is ten dollars less, and it feeds eight. Take it or leave it."],
        },
        summaries=[
            "#Person1# orders a {flavor} cake for {name}'s birthday on Saturday. #Person1# thinks {price} is a lot but keeps the big size.",
            "#Person1# orders a {flavor} birthday cake with {age} candles from #Person2#. After asking about a smaller size, #Person1# keeps the big one for {price}.",
        ],
        heated_summaries=[
            "#Person1# complains that a {flavor} cake for {name}'s birthday costs {price}, but still keeps the big size.",
            "#Person1# and #Person2# argue about the price of a birthday cake. #Person1# orders the big {flavor} cake with {age} candles anyway.",
        ],
    ),
    Situation(
        topic="neighbour's tree over the fence",
        slots={"tree": ["apple tree", "oak tree", "cherry tree", "pine tree"],
               "problem": ["the leaves block my gutters", "the branches hit my bedroom window",
                           "my vegetables get no sun", "the branches hang over my car"],
               "cost": ["two hundred dollars", "three hundred dollars", "one hundred and fifty dollars"],
               "day": ["this weekend", "next Saturday", "next Sunday"]},
        turns=[
            ["Hi, your {tree} has grown over the fence, and {problem}.",
             "Sorry to bother you. Your {tree} has grown into my garden, and {problem}."],
            ["Oh, I hadn't noticed. What would you like me to do?", "I see. Can't you just cut the branches on your side?"],
            ["I'd like it cut back, but it's your tree, so I thought I should ask first.",
             "It's your tree, so I wanted to ask you first. I don't want to damage it."],
            ["A gardener charges about {cost}. Could we split it?", "Cutting it back costs about {cost}. How about we share the cost?"],
            ["That's fair. Half each.", "Sounds good. I'll pay half."],
            ["Great. I'll ask the gardener to come {day}.", "Okay, I'll book the gardener for {day}."],
        ],
        heat={
            0: ["Your {tree} is all over my side of the fence, and {problem}! When will you do something?",
                "I've told you before: {problem} because of your {tree}!"],
            1: ["It's just a few branches. Cut them yourself if they bother you.", "Why is that my problem? Trees grow."],
            3: ["Fine. A gardener costs about {cost}, and I'm not paying it all.", "A gardener is about {cost}. If you want it, we split it."],
            4: ["Fine, half each. But do it soon.", "Okay, half. Just get it done."],
        },
        summaries=[
            "#Person1# tells #Person2# that #Person2#'s {tree} has grown over the fence. They agree to split the gardener's cost of {cost}, and the gardener comes {day}.",
            "#Person1# asks #Person2# to cut back the {tree} that hangs into #Person1#'s garden. They share the cost of {cost} for a gardener {day}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains about #Person2#'s {tree} growing over the fence. #Person2# refuses at first, but they agree to split the cost of {cost}.",
            "#Person1# and #Person2# argue about the {tree} that hangs over the fence. They agree to split the gardener's cost of {cost}, and the gardener will come {day}.",
        ],
    ),
    Situation(
        topic="lost keys and a locksmith",
        slots={"door": ["front door", "back door", "apartment door"],
               "price": ["ninety dollars", "a hundred and twenty dollars", "seventy-five dollars"],
               "minutes": ["twenty", "thirty", "forty-five"],
               "place": ["at the gym", "in a taxi", "at the office", "at a friend's house"]},
        turns=[
            ["Hello, I'm locked out of my house. I think I left my keys {place}.",
             "Hi, I need a locksmith. My keys are probably {place}, and I can't get in."],
            ["I can help. Where are you, and what kind of lock is it?", "Okay. What's your address?"],
            ["Twenty-two Green Street. It's a normal lock on the {door}.", "I'm at twenty-two Green Street. The lock is on the {door}."],
            ["I can be there in {minutes} minutes. Opening the door costs {price}.",
             "I'll come in {minutes} minutes. The price is {price}, including the visit."],
            ["{price}? Can't you do it cheaper? It's just one door.", "That's a lot. Is there a lower price if I pay in cash?"],
            ["Sorry, that's my normal price, and it includes the trip.", "I'm afraid not. The price is the same in cash."],
            ["All right, please come. I'll wait outside.", "Okay, fine. I'll wait by the {door}."],
        ],
        heat={
            4: ["{price}? That's robbery for five minutes of work!", "{price} just to open one door? You're kidding!"],
            5: ["That's my price. You can call someone else if you want.",
                "Take it or leave it. Nobody will come cheaper at this hour."],
            6: ["Fine, come. I'm freezing out here.", "Okay, okay. Just hurry up."],
        },
        summaries=[
            "#Person1# is locked out and calls #Person2#, a locksmith. #Person2# will come in {minutes} minutes and open the {door} for {price}.",
            "#Person1# is locked out, with the keys probably {place}. #Person2# won't lower the price of {price} but will come in {minutes} minutes.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that a locksmith wants {price} to open the {door}. #Person2# refuses to lower the price, and #Person1# accepts.",
            "#Person1# and #Person2# argue about the price of opening a locked door. #Person1# agrees to pay {price}, and #Person2# will come in {minutes} minutes.",
        ],
    ),
    Situation(
        topic="coworker eating someone's lunch",
        slots={"food": ["pasta salad", "chicken sandwich", "leftover pizza", "sushi box", "lasagna"],
               "day": ["yesterday", "on Monday", "on Tuesday"],
               "label": ["a blue box", "a green box", "a glass container"]},
        turns=[
            ["Did you take the {food} from the fridge {day}? It was mine.",
             "Hey, my {food} disappeared from the office fridge {day}. Was that you?"],
            ["Oh no. Was it in {label}? I thought it was mine.",
             "Yes, sorry. It was in {label}, just like my lunch, so I took the wrong one."],
            ["Yes, and my name was on it. I had nothing to eat all afternoon.", "My name was written on the lid. I had to skip lunch."],
            ["I'm really sorry. Let me buy you lunch today.",
             "That's my fault. I'll pay for your lunch today, and I'll check names from now on."],
            ["Okay, thanks. Maybe we should both write our names bigger.", "Fine, apology accepted. Thanks for lunch."],
        ],
        heat={
            0: ["Someone ate my {food} {day}, and I know it was you!", "Did you eat my {food} {day}? Again?"],
            2: ["My name was right there on the lid! Can't you read?", "It had my name on it! I went hungry all afternoon!"],
            4: ["Fine. But touch my food again and I go to the manager.", "Okay. Just stay away from my lunch."],
        },
        summaries=[
            "#Person2# ate #Person1#'s {food} from the office fridge {day} by mistake. #Person2# apologizes and offers to buy #Person1# lunch today.",
            "#Person1# asks #Person2# about the missing {food}. #Person2# took it by mistake and will pay for #Person1#'s lunch.",
        ],
        heated_summaries=[
            "#Person1# angrily accuses #Person2# of eating the {food} {day}. #Person2# admits the mistake and offers to buy #Person1# lunch.",
            "#Person1# and #Person2# argue about the {food} that #Person2# took from the fridge. #Person2# apologizes and pays for #Person1#'s lunch.",
        ],
    ),
    Situation(
        topic="noisy coworker on the phone",
        slots={"duration": ["an hour", "most of the morning", "two hours"],
               "deadline": ["a report due at five", "a presentation tomorrow morning", "a client email to finish"],
               "place": ["the meeting room", "the kitchen", "the small office at the end"]},
        turns=[
            ["Sorry, could you speak a bit more quietly? You've been on the phone for {duration}.",
             "Excuse me, your phone calls are quite loud. It's been {duration}."],
            ["Oh, sorry. I didn't realize I was so loud.", "Really? I'm just doing my job. These are important calls."],
            ["I understand, but I have {deadline}, and I can't concentrate.", "I know, but I have {deadline} and need some quiet."],
            ["How about I take my calls in {place} from now on?", "I could use {place} for long calls. Would that help?"],
            ["That would be perfect. Thank you.", "Yes, that would help a lot. Thanks."],
        ],
        heat={
            0: ["Can you stop shouting into your phone? It's been {duration}!",
                "Do you have to be so loud? You've been on the phone for {duration}!"],
            1: ["These are work calls. What do you want me to do, whisper?", "It's an open office. Buy headphones."],
            2: ["I have {deadline}, and I can't hear myself think!", "Some of us have {deadline}! Show a little respect!"],
            3: ["Fine. I'll go to {place}. Happy now?", "All right, I'll take my calls in {place}."],
        },
        summaries=[
            "#Person1# asks #Person2# to be quieter on the phone because #Person1# has {deadline}. #Person2# will take calls in {place}.",
            "#Person2# has been on the phone loudly for {duration}. #Person1# asks for some quiet, and #Person2# offers to use {place} for calls.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that #Person2# has been loud on the phone for {duration}. #Person2# argues but agrees to take calls in {place}.",
            "#Person1# and #Person2# argue about loud phone calls in the office. #Person2# finally moves the calls to {place}.",
        ],
    ),
    Situation(
        topic="student late for class",
        slots={"minutes": ["fifteen", "twenty", "twenty-five"],
               "reason": ["the bus broke down", "the trains were delayed", "there was an accident on the road",
                          "the alarm didn't go off"],
               "times": ["the third time", "the fourth time", "the fifth time"],
               "task": ["the quiz", "the group work", "the first exercise"]},
        turns=[
            ["You're {minutes} minutes late. What happened?", "Class started {minutes} minutes ago. Why are you late?"],
            ["I'm sorry. {reason}.", "Sorry, {reason}, so I couldn't get here on time."],
            ["This is {times} you've been late this month.", "That's {times} this month. It's becoming a habit."],
            ["I know. I'll leave home earlier from now on. Can I still do {task}?",
             "I promise it won't happen again. Did I miss {task}?"],
            ["You can do {task} during the break. Next time, please send me a message.",
             "You missed it, but you can do {task} after class. Please text me if you'll be late."],
            ["Thank you. I will.", "Okay, thank you for understanding."],
        ],
        heat={
            0: ["{minutes} minutes late! Do you think class starts when you arrive?",
                "Oh, look who decided to come! You're {minutes} minutes late!"],
            1: ["It's not my fault! {reason}!", "Don't yell at me. {reason}!"],
            2: ["That's {times} this month! I'm tired of your excuses!", "{times} this month! Next time I'm calling your parents!"],
            5: ["Fine, whatever.", "Okay, okay. I heard you."],
        },
        summaries=[
            "#Person2# is {minutes} minutes late for #Person1#'s class because {reason}. #Person2# promises to be on time, and #Person1# lets #Person2# do {task} later.",
            "#Person1#'s student, #Person2#, arrives late for {times} this month. #Person1# lets #Person2# do {task} later and asks for a message next time.",
        ],
        heated_summaries=[
            "#Person1# angrily tells #Person2# off for being {minutes} minutes late for {times} this month. #Person2# says {reason}.",
            "#Person1# and #Person2# argue about #Person2# being late again. #Person1# still lets #Person2# do {task} later.",
        ],
    ),
    Situation(
        topic="parent and teenager about curfew",
        slots={"event": ["a party at Sam's house", "a concert in the city", "a friend's birthday party", "the school dance"],
               "asked": ["midnight", "one o'clock", "half past twelve"],
               "offered": ["ten thirty", "eleven", "ten o'clock"]},
        turns=[
            ["Mom, can I go to {event} on Saturday? Everyone is going.",
             "Mom, can I go to {event} this Saturday? Please?"],
            ["Who else is going, and how will you get home?", "Maybe. What time does it end, and who is driving?"],
            ["Lisa and Tom are going, and Lisa's dad can drive us. I'd like to stay until {asked}.",
             "It goes until late, and Lisa's dad can drive us. Can I stay until {asked}?"],
            ["{asked} is too late. You can stay until {offered}.", "No, {asked} is too late for you. Be home by {offered}."],
            ["{offered}? That's so early. What about one hour later?", "Please, just one more hour. I'm sixteen."],
            ["Okay, one more hour, but you call me when you leave.",
             "All right, one hour later, but if you're late, no parties for a month."],
            ["Deal. Thanks, Mom!", "Thank you! I promise I'll be on time."],
        ],
        heat={
            3: ["{asked}? Absolutely not. You'll be home by {offered}.", "No way. {asked} is far too late. {offered}, and that's final."],
            4: ["{offered}? That's for little kids! All my friends can stay later!",
                "You treat me like a baby! Everyone else stays out later than {offered}!"],
            5: ["Watch your tone. Fine, one more hour, but one minute late and you're grounded.",
                "Don't shout at me. One more hour, and that's my last offer."],
        },
        summaries=[
            "#Person1# asks #Person2# to stay at {event} until {asked}. #Person2# first says {offered}, then agrees to one hour later.",
            "#Person1# wants to go to {event} and come home at {asked}. #Person2# says that's too late, and they agree on one hour after {offered}.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about how late #Person1# can stay at {event}. #Person2# refuses {asked} but allows one hour after {offered}.",
            "#Person1# angrily complains that coming home at {offered} is too early. #Person2# agrees to one more hour.",
        ],
    ),
    Situation(
        topic="babysitter arriving late",
        slots={"minutes": ["forty minutes", "an hour", "half an hour"],
               "reason": ["the train was delayed", "there was a traffic jam on the bridge", "the bus didn't come"],
               "event": ["a concert", "a play", "a movie", "a dinner party"]},
        turns=[
            ["You're finally here. We said seven o'clock, and you're {minutes} late.", "Hi. You're {minutes} late. We were about to call you."],
            ["I'm so sorry. {reason}, and my phone battery died.",
             "I know, I'm really sorry. {reason}. I couldn't call because my phone was dead."],
            ["Now we're going to be late for {event}.", "We'll probably miss the start of {event} now."],
            ["I understand. You don't have to pay me for the first hour tonight.", "I feel bad. How about I don't charge for the first hour tonight?"],
            ["That's kind of you. The kids eat at eight, and bedtime is at nine.",
             "Okay, thank you. Dinner is in the fridge, and the kids go to bed at nine."],
            ["Got it. Enjoy your evening.", "No problem. Have a good time."],
        ],
        heat={
            0: ["{minutes} late! Do you know what time it is?", "We said seven! You're {minutes} late, and you didn't even call!"],
            1: ["{reason}! It's not like I did it on purpose.", "Relax, I'm here now. {reason}."],
            2: ["Now we'll be late for {event}, thanks to you!", "We're going to be late for {event} because of you!"],
            4: ["Fine. The kids eat at eight, and bedtime is at nine. Don't be late next time.",
                "Dinner is in the fridge. Bed at nine. And this is the last time you're late."],
        },
        summaries=[
            "The babysitter, #Person2#, arrives {minutes} late because {reason}. #Person2# apologizes and offers not to charge for the first hour.",
            "#Person1# is upset that #Person2# came {minutes} late, so they'll be late for {event}. #Person2# offers a free hour, and #Person1# explains the kids' bedtime.",
        ],
        heated_summaries=[
            "#Person1# angrily tells the babysitter, #Person2#, that being {minutes} late will make them late for {event}. #Person2# offers a free first hour.",
            "#Person1# and #Person2# argue because #Person2# arrived {minutes} late. #Person2# explains that {reason} and offers the first hour for free.",
        ],
    ),
    Situation(
        topic="renting a car with a dent",
        slots={"place": ["on the back door", "on the front bumper", "on the driver's door"],
               "car": ["the grey sedan", "the white van", "the small red car"],
               "amount": ["three hundred dollars", "four hundred and fifty dollars", "two hundred and fifty dollars"]},
        turns=[
            ["Thanks for returning {car}. I'm afraid there's a dent {place}.",
             "Welcome back. Before you go, I found a dent {place} of {car}."],
            ["That dent was already there when I picked it up.", "What? I didn't do that. It was there on the first day."],
            ["It's not on the check form you signed. The repair would cost {amount}.",
             "Our form shows no damage there. We'll have to charge you {amount}."],
            ["Wait, I took photos when I picked it up. Let me show you.", "Hold on. I have a picture of the car from the first day."],
            ["You're right, the dent is in your photo. Sorry, there's no charge.",
             "I can see it in the picture. My mistake, you won't pay anything."],
            ["Thank you. Please add it to the form for the next customer.",
             "Good. Maybe check the cars better before you rent them out."],
        ],
        heat={
            1: ["That dent was there before! Are you trying to rip me off?",
                "Don't even try. That dent was there when I picked it up!"],
            2: ["It's not on the form you signed, so you pay {amount}. Those are the rules.",
                "Everyone says that. The form shows nothing, so it's {amount}."],
            3: ["Oh really? Then look at the photos I took on the first day!", "Good thing I took pictures! Look at this!"],
            5: ["Next time, check your cars before you accuse people.", "Unbelievable. Fix your forms."],
        },
        summaries=[
            "#Person1# finds a dent {place} of the rental car and wants to charge {amount}. #Person2# shows a photo from the first day, and #Person1# drops the charge.",
            "#Person2# returns {car}, and #Person1# wants {amount} for a dent. #Person2#'s photo shows the dent was already there, so there is no charge.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about a dent {place} of a rental car. #Person2# proves with a photo that it was already there, so #Person2# pays nothing.",
            "#Person2# angrily denies causing a dent in {car}. #Person1# wants {amount}, but a photo shows the dent was there before.",
        ],
    ),
    Situation(
        topic="flight cancelled at the gate",
        slots={"city": ["Paris", "Berlin", "Lisbon", "Dublin", "Vienna"],
               "time": ["seven tomorrow morning", "six this evening", "ten tonight"],
               "meeting": ["an important meeting", "a wedding", "a job interview", "a conference"]},
        turns=[
            ["Excuse me, the screen says my flight to {city} is cancelled. What happened?",
             "Hi, my flight to {city} was just cancelled. Can you tell me why?"],
            ["I'm sorry. There's a technical problem with the plane.", "I apologize. The plane has a technical problem and can't fly."],
            ["I have {meeting} there tomorrow. When is the next flight?", "When can I get to {city}? I have {meeting} tomorrow."],
            ["The next flight with free seats leaves at {time}.", "I can put you on the flight at {time}."],
            ["Is there nothing earlier? Another airline maybe?", "That's late. Can you book me with another airline instead?"],
            ["I checked, and the other flights are full. I can give you a meal voucher while you wait.",
             "Sorry, everything else is full. You'll get a meal voucher, and you can wait in the lounge."],
            ["Okay, book me on the flight at {time}, please.", "Fine, I'll take the flight at {time}."],
        ],
        heat={
            0: ["My flight to {city} is cancelled? I've been sitting at this gate for two hours!",
                "Cancelled? Nobody said anything while we waited at the gate! What about my flight to {city}?"],
            2: ["I have {meeting} tomorrow! You can't just cancel a flight like that!",
                "I'm going to miss {meeting} because of this! When is the next flight?"],
            4: ["{time}? That's ridiculous! Put me on another airline!", "You expect me to wait until {time}? Find me another airline!"],
            6: ["Fine. Book me on it, and I want that voucher.", "Whatever. Put me on the flight at {time}."],
        },
        summaries=[
            "#Person1#'s flight to {city} is cancelled because of a technical problem. #Person2# books #Person1# on the next flight at {time} and gives a meal voucher.",
            "#Person1# needs to reach {city} for {meeting} tomorrow. Other flights are full, so #Person1# takes the flight at {time}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains about a cancelled flight to {city}. Other airlines are full, so #Person2# books #Person1# on the flight at {time}.",
            "#Person1# and #Person2# argue about a cancelled flight before {meeting}. #Person1# accepts the flight at {time} and gets a meal voucher.",
        ],
    ),
    Situation(
        topic="train ticket inspector",
        slots={"ticket": ["student ticket", "day pass", "weekly pass", "monthly pass"],
               "fine": ["fifty dollars", "sixty euros", "forty dollars"],
               "station": ["Central Station", "North Park", "Riverside", "the airport"]},
        turns=[
            ["Tickets, please.", "Good morning. Can I see your ticket, please?"],
            ["Here you are. It's a {ticket}.", "Sure, I have a {ticket} on my phone."],
            ["This ticket isn't valid anymore. It expired yesterday.", "I'm sorry, but this one expired yesterday."],
            ["Really? I bought a new one online, but I'm not sure where the email is.",
             "Oh no. I renewed it online last night. Let me find the email."],
            ["Without a valid ticket, the fine is {fine}.", "If you can't show it, I have to give you a fine of {fine}."],
            ["Here, I found the email. I paid at ten last night.", "Wait, here's the receipt. It was paid last night at ten."],
            ["Okay, that's fine. Please download the new ticket before {station}, so the next check is easier.",
             "All right, I accept that. No fine this time, but please have the new ticket ready next time."],
        ],
        heat={
            3: ["I paid for it! Why would I travel without a ticket?", "I renewed it last night! Why would I lie?"],
            4: ["No valid ticket means a fine of {fine}. I hear these stories every day.",
                "Everyone says that. Pay {fine} or get off at {station}."],
            5: ["There! Paid at ten last night. Happy now?", "Look at this receipt! Paid last night at ten, like I told you!"],
        },
        summaries=[
            "#Person1#, a ticket inspector, says #Person2#'s {ticket} has expired. #Person2# shows the receipt for a new one, so there is no fine.",
            "#Person2#'s {ticket} expired yesterday, and #Person1# mentions a fine of {fine}. #Person2# proves it was renewed, and #Person1# accepts it.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about an expired {ticket}. #Person1# mentions a fine of {fine}, but #Person2# shows a receipt for the new ticket.",
            "#Person2# angrily insists on having paid for the {ticket}. #Person2# shows the receipt, and #Person1# gives no fine.",
        ],
    ),
    Situation(
        topic="hairdresser booking",
        slots={"service": ["a haircut", "a haircut and color", "highlights", "a blow-dry"],
               "day": ["Saturday", "Friday", "Thursday"],
               "time": ["ten", "eleven thirty", "two", "four"],
               "stylist": ["Maria", "Jake", "Nina"]},
        turns=[
            ["Hi, I'd like to book {service} with {stylist} on {day}, please.", "Hello, is {stylist} free on {day}? I need {service}."],
            ["Let me look. {stylist} is fully booked on {day}, I'm afraid.", "Sorry, {stylist} has no free time on {day}."],
            ["Oh no. Is there anyone else, or maybe another day?", "That's a pity. What are my other options?"],
            ["Another stylist, Tom, is free at {time}. Or {stylist} is free next Tuesday.",
             "Tom could do it at {time} on {day}, or you can wait for {stylist} until next Tuesday."],
            ["Hmm, Tom at {time} sounds good. Actually, no. I'll wait for {stylist} on Tuesday.",
             "I think I'd rather wait until Tuesday. {stylist} knows my hair well."],
            ["No problem. Tuesday at half past nine with {stylist}. Can I have your phone number?",
             "Of course. I've put you down for Tuesday at half past nine with {stylist}."],
        ],
        heat={
            1: ["{stylist} is fully booked on {day}. You should have called earlier.", "No, {stylist} is full on {day}. Everyone wants {stylist}."],
            2: ["Fully booked again? I've been coming here for years!", "This always happens! Isn't there anyone else?"],
            3: ["Tom is free at {time}, or you wait for {stylist} until next Tuesday. Your choice.",
                "There's Tom at {time}. Otherwise {stylist} has next Tuesday, and that's all."],
        },
        summaries=[
            "#Person1# wants to book {service} with {stylist} on {day}, but {stylist} is fully booked. #Person1# chooses to wait for {stylist} on Tuesday at half past nine.",
            "#Person2# offers #Person1# another stylist at {time}, but #Person1# decides to wait for {stylist} until Tuesday.",
        ],
        heated_summaries=[
            "#Person1# is annoyed that {stylist} is fully booked on {day}. #Person1# turns down another stylist at {time} and books {stylist} for Tuesday.",
            "#Person1# and #Person2# argue about a booking for {service}. #Person1# decides to wait for {stylist} until Tuesday.",
        ],
    ),
    Situation(
        topic="mechanic and a flat tyre",
        slots={"tire": ["front left", "back right", "front right", "back left"],
               "cause": ["a nail", "a piece of glass", "a small screw"],
               "price": ["twenty dollars", "twenty-five dollars", "thirty dollars"],
               "new": ["ninety dollars", "a hundred and ten dollars", "eighty-five dollars"]},
        turns=[
            ["Hi, my {tire} tire went flat this morning. Can you look at it?", "Hello, I have a flat tire, the {tire} one. Do you have time now?"],
            ["Sure, let me see. There's {cause} in it.", "Yes, bring it in. Ah, I can see {cause} in the tire."],
            ["Can you repair it, or do I need a new tire?", "Is it possible to fix it? I don't want to buy a new one."],
            ["A repair is {price} and takes twenty minutes. A new tire costs {new}.", "I can patch it for {price}. A new tire would be {new}."],
            ["The repair, please. Is it safe for the highway?", "Let's do the repair. Will it be safe on long trips?"],
            ["Yes, it will be fine. But your other tires are quite old, so think about replacing them soon.",
             "It will be safe. But the other tires are getting old. You should change them this year."],
            ["Thanks, I'll think about it.", "Okay. Maybe next month. Thanks."],
        ],
        heat={
            0: ["My {tire} tire went flat on the way to work! I need it fixed now!",
                "I have a flat, the {tire} one, and I'm already late! Can you look at it now?"],
            2: ["I'm not buying a new tire! Just fix it!", "Don't try to sell me a new tire. Can you fix it or not?"],
            4: ["{new}? No way. Do the repair, and it had better be safe this time.", "Just do the repair for {price}. I don't need a new tire."],
        },
        summaries=[
            "#Person1# has a flat {tire} tire because of {cause}. #Person2# repairs it for {price} instead of selling a new tire for {new}.",
            "#Person2# finds {cause} in #Person1#'s {tire} tire and patches it for {price}. #Person2# suggests replacing the old tires soon.",
        ],
        heated_summaries=[
            "#Person1# angrily demands a quick fix for a flat {tire} tire. #Person2# finds {cause} and repairs it for {price}.",
            "#Person1# and #Person2# argue about repairing or replacing a flat tire. #Person1# refuses a new tire for {new} and pays {price} for a repair.",
        ],
    ),
    Situation(
        topic="tailor and trousers too short",
        slots={"item": ["trousers", "suit trousers", "jeans"],
               "length": ["three centimeters", "two centimeters", "four centimeters"],
               "event": ["a wedding", "a business trip", "a graduation", "a job interview"],
               "day": ["Friday", "Saturday", "Thursday"]},
        turns=[
            ["I picked up my {item} yesterday, but they're {length} too short.",
             "Hello, you shortened my {item}, but now they're {length} too short."],
            ["Let me have a look. Did you wear the same shoes as at the fitting?",
             "I'm sorry to hear that. Did you try them on with the same shoes?"],
            ["Yes, the same shoes. I need them for {event} on {day}.", "I did, and they stop above my ankles. I need them on {day} for {event}."],
            ["There's a little fabric left inside. I can let them down {length} by {day} morning.",
             "I can use the extra fabric inside and make them longer. They'll be ready on {day} morning."],
            ["Will I have to pay for that?", "And how much will that cost?"],
            ["No, it was our mistake, so it's free.", "Nothing. We measured wrong, so there's no charge."],
        ],
        heat={
            0: ["Look at these {item}! They're {length} too short!", "You ruined my {item}! They're {length} too short now!"],
            1: ["You probably wore different shoes at the fitting.", "Are you sure? We measured you very carefully."],
            2: ["I wore the same shoes! I need them on {day} for {event}, and now look!", "Same shoes, I'm sure! I have {event} on {day}!"],
            4: ["And I hope you're not charging me for your mistake.", "You'd better not ask me to pay for this."],
        },
        summaries=[
            "#Person1#'s {item} are {length} too short after #Person2# shortened them. #Person2# will make them longer for free before {event} on {day}.",
            "#Person1# needs the {item} for {event} on {day}, but they're too short. #Person2# admits the mistake and fixes them at no charge.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that #Person2# made the {item} {length} too short. #Person2# agrees to fix them for free by {day}.",
            "#Person1# and #Person2# argue about {item} that are too short. #Person2# admits the mistake and will fix them before {event}.",
        ],
    ),
    Situation(
        topic="plumber who did not come",
        slots={"day": ["on Monday", "yesterday", "on Tuesday"],
               "problem": ["a leaking pipe under the sink", "a blocked toilet", "a broken water heater", "a dripping shower"],
               "hours": ["three hours", "the whole morning", "four hours"],
               "new": ["tomorrow at eight", "this afternoon at three", "tomorrow at noon"]},
        turns=[
            ["Hello, your plumber was supposed to come {day}, but nobody came.",
             "Hi, I waited for a plumber {day}, and nobody showed up."],
            ["I'm very sorry. Let me check. Our plumber had an emergency.", "Oh no, I apologize. I see the plumber was sent to an emergency."],
            ["Nobody called me. I stayed home for {hours}, and I still have {problem}.",
             "Couldn't someone call? I took {hours} off work, and I still have {problem}."],
            ["You're right, we should have called. He can come {new}.", "That was wrong of us. Can he come {new}?"],
            ["{new} works, but I won't take another day off for nothing.", "Okay, {new}. But please call me if there's any delay."],
            ["I promise he'll be there, and there's no charge for the visit.", "He'll call you before he leaves, and the visit is free."],
        ],
        heat={
            0: ["Where was your plumber {day}? I waited for nothing!", "Nobody came {day}! Do you even send people out?"],
            1: ["There was an emergency. These things happen.", "The plumber had an emergency. He can't be in two places."],
            2: ["And nobody could pick up a phone? I lost {hours}, and I still have {problem}!",
                "Not even a call! I took {hours} off work, and I still have {problem}!"],
            4: ["{new}, and if he's late again, I'm calling another company.", "Fine, {new}. But this is your last chance."],
        },
        summaries=[
            "The plumber didn't come {day} to fix {problem} at #Person1#'s home. #Person2# apologizes and sends him {new} for free.",
            "#Person1# waited {hours} for a plumber who never came. #Person2# explains there was an emergency and books a free visit {new}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that the plumber didn't come {day} and nobody called. #Person2# sends him {new} at no charge.",
            "#Person1# and #Person2# argue about a missed plumber visit for {problem}. #Person1# accepts a new visit {new}.",
        ],
    ),
    Situation(
        topic="neighbour's loud renovation",
        slots={"work": ["drilling", "hammering", "banging"],
               "time": ["seven in the morning", "half past six", "seven o'clock"],
               "weeks": ["two weeks", "three weeks", "four weeks"],
               "room": ["kitchen", "bathroom", "living room"]},
        turns=[
            ["Hi, are you renovating your {room}? The {work} starts at {time} every day.",
             "Good morning. I wanted to talk about the {work}. It begins at {time}."],
            ["Yes, we're redoing the {room}. I'm sorry, I didn't know it was so early.",
             "Oh, sorry. The workers start early so they can finish our {room} faster."],
            ["I work nights, so I sleep in the morning. How long will it take?",
             "My baby sleeps in the morning. How much longer will it go on?"],
            ["About {weeks} more. I'm afraid the workers can't change their hours.", "Another {weeks}, I think. The company sets the hours, not me."],
            ["Could they at least start the loud work at ten?", "Then could they do the noisy work after ten?"],
            ["That's a fair request. I'll ask them today and let you know.", "I'll talk to their boss. I'm sure we can do something."],
            ["Thank you, that would really help.", "Thanks. I appreciate it."],
        ],
        heat={
            0: ["The {work} starts at {time} every single day! Do you know how early that is?",
                "{work} at {time}! Every day! This is a home, not a building site!"],
            3: ["{weeks} more. That's how renovations work.", "Another {weeks}. You'll have to live with it."],
            4: ["{weeks}? Then tell them to start at ten, or I'll call the city!", "I can't take {weeks} of this! Make them start at ten!"],
            5: ["Okay, okay. I'll ask them today.", "Fine, I'll ask them. No promises."],
        },
        summaries=[
            "#Person1# complains that the {work} from #Person2#'s {room} renovation starts at {time}. #Person2# will ask the workers to start the loud work later.",
            "#Person2#'s renovation will last about {weeks} more. #Person1# asks for the noisy work to start at ten, and #Person2# agrees to ask.",
        ],
        heated_summaries=[
            "#Person1# angrily complains about {work} at {time} during #Person2#'s renovation. #Person2# agrees to ask the workers to start later.",
            "#Person1# and #Person2# argue about a renovation that will last {weeks} more. #Person2# will ask the workers to start at ten.",
        ],
    ),
    Situation(
        topic="returning shoes that hurt",
        slots={"shoes": ["running shoes", "leather boots", "sandals", "high heels", "sneakers"],
               "days": ["two days", "one day", "three days"],
               "price": ["seventy dollars", "ninety-five dollars", "a hundred and twenty dollars"]},
        turns=[
            ["Hi, I bought these {shoes} last week, but they hurt my feet.", "Hello, I'd like to return these {shoes}. They hurt so much."],
            ["I'm sorry. Have you worn them outside?", "Oh, I see. Did you wear them outside?"],
            ["Only for {days}. I didn't know they'd hurt until I walked in them.", "Just for {days}. You can't know until you walk in them."],
            ["I'm afraid we can't refund shoes that were worn outside. I can offer a voucher for {price}.",
             "Worn shoes can't get a refund, but I can give you a voucher for {price}, the full price."],
            ["A voucher? I'd really prefer my money back.", "Can't I get cash? I don't need anything else here."],
            ["I understand, but it's our policy. You could swap them for a bigger size today.",
             "Sorry, that's the rule. Maybe try a half size bigger?"],
            ["Okay, let me try a bigger size then.", "Fine, I'll try the bigger ones."],
        ],
        heat={
            0: ["These {shoes} are torture! I want my money back!", "I can't even walk in these {shoes}! Take them back!"],
            3: ["You wore them outside, so no refund. A voucher for {price}, that's it.",
                "No refunds on worn shoes. You can have a voucher for {price}."],
            4: ["A voucher? I spent {price}, and I want cash!", "I don't want your voucher! I want my {price} back!"],
            6: ["Fine, I'll try a bigger size. But this is the last time I shop here.", "Okay, bring me the bigger ones, then."],
        },
        summaries=[
            "#Person1# wants to return {shoes} that hurt after {days} of wearing. #Person2# can't give a refund but offers a voucher for {price}, and #Person1# tries a bigger size.",
            "#Person2# refuses a refund for worn {shoes} but offers a voucher for {price}. #Person1# decides to try a bigger size instead.",
        ],
        heated_summaries=[
            "#Person1# angrily demands a refund for {shoes} that hurt. #Person2# only offers a voucher for {price}, so #Person1# tries a bigger size.",
            "#Person1# and #Person2# argue about returning worn {shoes}. #Person1# wants cash but agrees to try a bigger size.",
        ],
    ),
    Situation(
        topic="cashier giving the wrong change",
        slots={"missing": ["five dollars", "ten dollars", "four dollars"],
               "bill": ["fifty-dollar bill", "twenty-dollar bill", "hundred-dollar bill"]},
        turns=[
            ["Excuse me, I think you gave me the wrong change. I'm missing {missing}.",
             "Sorry, I paid with a {bill}, but my change is {missing} short."],
            ["Are you sure? Let me count it again.", "Really? Can I see the money and the receipt?"],
            ["Here's the receipt and the change. I gave you a {bill}.", "Yes. Here you are. I paid with a {bill}."],
            ["Hmm, I remember a smaller bill. I'll have to check the till.", "I think it was a smaller bill, but let me count the till."],
            ["Please do. I'm sure it was a {bill}.", "Okay, I'll wait. I got it from the bank this morning."],
            ["You're right, there's {missing} too much in the till. I'm sorry. Here you are.",
             "I counted it, and there's {missing} extra in the till. My apologies, here's your money."],
            ["Thank you. No problem, it happens.", "Thanks for checking."],
        ],
        heat={
            0: ["You gave me the wrong change! I'm missing {missing}!", "Hey, I paid with a {bill}, and you kept {missing} of my change!"],
            3: ["It was a smaller bill. I'm pretty sure you're wrong.", "No, you gave me a smaller bill. I'm not giving you money for nothing."],
            4: ["It was a {bill}! Count the till, then!", "I know what I paid! It was a {bill}! Check the till!"],
        },
        summaries=[
            "#Person1# tells the cashier, #Person2#, that the change is {missing} short. #Person2# checks the till and gives the money back.",
            "#Person1# paid with a {bill} but got {missing} too little change. #Person2# counts the till, finds the money and apologizes.",
        ],
        heated_summaries=[
            "#Person1# angrily says #Person2# gave {missing} too little change. #Person2# doubts it but finds the money in the till.",
            "#Person1# and #Person2# argue about whether #Person1# paid with a {bill}. #Person2# counts the till and returns {missing}.",
        ],
    ),
    Situation(
        topic="splitting a restaurant bill",
        slots={"total": ["a hundred and twenty dollars", "ninety dollars", "a hundred and fifty dollars"],
               "dish": ["salad", "soup", "small pasta"],
               "drink": ["two glasses of wine", "a bottle of wine", "three cocktails"]},
        turns=[
            ["The bill is {total}. Shall we just split it in three?", "Okay, the total is {total}. Let's divide it by three."],
            ["Actually, I only had a {dish} and water. Can I just pay for mine?",
             "Hmm, I only ordered a {dish}. Splitting it equally isn't really fair for me."],
            ["Oh, right. But we shared the starters too.", "That's true, but you also ate some of the starters."],
            ["That's fair. I'll pay for my {dish}, the starters, and a bigger tip.",
             "Okay, how about I pay for the {dish}, my part of the starters, and the tip?"],
            ["Sounds good. Tom and I will pay the rest, since we had {drink}.", "Fine with me. We had {drink}, so we'll cover the rest."],
            ["Great. Let me get my card.", "Thanks for understanding."],
        ],
        heat={
            1: ["Split it? I only had a {dish}! Why should I pay for your {drink}?", "No way. I had a {dish} and water. I'm not paying for {drink}."],
            2: ["Oh, come on, it's only a few dollars! You ate the starters too!", "Really? You ate half the starters yourself!"],
            3: ["Fine, I'll pay for my {dish}, the starters, and the tip. Happy?",
                "Then I pay for the {dish}, my part of the starters, and the tip. Not a cent more."],
            4: ["Fine. We'll pay the rest. Next time we get separate bills.", "Okay, okay. We'll cover the {drink}."],
        },
        summaries=[
            "#Person1# wants to split the bill of {total} in three. #Person2# only had a {dish}, so #Person2# pays for it, part of the starters and the tip.",
            "#Person2# doesn't want to split the bill of {total} equally after having only a {dish}. #Person1# agrees, since the others had {drink}.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about splitting a bill of {total}. #Person2# refuses to pay for {drink} and pays for the {dish}, the starters and the tip.",
            "#Person2# angrily refuses to split the bill equally after having only a {dish}. They agree that #Person1# and the others pay the rest.",
        ],
    ),
    Situation(
        topic="sports coach benching a player",
        slots={"game": ["Saturday's game", "the final", "the match against the Tigers"],
               "reason": ["missed two practices", "missed training on Tuesday", "came late to three practices"],
               "position": ["striker", "defender", "goalkeeper"],
               "replacement": ["Tom", "Ben", "Lucas"]},
        turns=[
            ["Coach, why am I not starting in {game}?", "Coach, I saw the list. Why am I on the bench for {game}?"],
            ["Because you {reason} this week. The rules are the same for everyone.", "You {reason} this week. I told the team what happens then."],
            ["I had a family problem. I told the captain about it.", "My grandmother was in the hospital. I told the captain."],
            ["The captain didn't tell me. I'm sorry to hear that.", "I didn't know that. Nobody told me."],
            ["So can I play? I've been our {position} all season.", "Does that change anything? I'm the team's first {position}."],
            ["{replacement} will start, but you'll come on in the second half. Next time, tell me yourself.",
             "I'll keep {replacement} in the first half, and you'll play the second. Next time, call me directly."],
            ["Okay, that's fair. Thanks, coach.", "All right. I'll call you next time."],
        ],
        heat={
            0: ["The bench? For {game}? Are you serious, coach?", "Why am I on the bench for {game}? I'm the best player you have!"],
            1: ["You {reason} this week. If you don't like it, you can stop coming.", "You {reason} this week, so you sit. End of story."],
            2: ["I had a family problem! I told the captain! Doesn't anyone talk here?",
                "My grandmother was in the hospital, and I told the captain! What more do you want?"],
        },
        summaries=[
            "The coach, #Person2#, benches #Person1# for {game} because #Person1# {reason}. After hearing about a family problem, #Person2# lets #Person1# play later.",
            "#Person1# asks #Person2# why #Person1# is not starting in {game}. #Person2# keeps {replacement} in the first half but lets #Person1# play the second.",
        ],
        heated_summaries=[
            "#Person1# angrily asks the coach, #Person2#, why #Person1# is on the bench for {game}. #Person2# says #Person1# {reason} but allows the second half.",
            "#Person1# and #Person2# argue about #Person1# being benched for {game}. {replacement} starts, and #Person1# plays the second half.",
        ],
    ),
    Situation(
        topic="book club choosing a book",
        slots={"book": ["a long Russian novel", "a crime novel", "a book about space", "a history of Rome"],
               "other": ["a short love story", "a funny travel book", "a science fiction novel"],
               "pages": ["eight hundred", "six hundred", "nine hundred"],
               "weeks": ["three weeks", "a month", "two weeks"]},
        turns=[
            ["For next month, I'd like us to read {book}.", "I have an idea for our next book club meeting: {book}."],
            ["How long is it?", "Sounds interesting. How many pages does it have?"],
            ["About {pages} pages.", "It's around {pages} pages, but it's very good."],
            ["{pages} pages in {weeks}? Most of us work full time. What about {other}?", "That's a lot for {weeks}. I'd suggest {other} instead."],
            ["Hmm, you're right about the length. But {other} sounds a bit light.", "Okay, maybe that's too much, but I wanted something serious."],
            ["Then let's read {other} now and {book} in the summer, when we have more time.",
             "How about {other} this time and {book} during the summer break?"],
            ["Good idea. I'll tell the others.", "Fine, that's a good plan. I'll send everyone an email."],
        ],
        heat={
            3: ["{pages} pages in {weeks}? Some of us have jobs, you know. Let's do {other}.",
                "You always pick huge books! {pages} pages in {weeks} is crazy. {other}, please."],
            4: ["{other}? That's a book for the beach, not a book club!", "Oh, of course. You always want something easy."],
            5: ["Fine, {other} now and {book} in the summer. Can we agree on that?",
                "Okay, {other} now and {book} in the summer. Is that good enough for you?"],
            6: ["Fine. I'll tell the others.", "Whatever. I'll send the email."],
        },
        summaries=[
            "#Person1# suggests {book} for the book club, but #Person2# finds {pages} pages too long for {weeks}. They pick {other} now and {book} in the summer.",
            "#Person1# and #Person2# pick the next book for their book club. They decide on {other} and leave {book} for the summer.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about the next book club book. #Person2# says {pages} pages is too long, so they pick {other} now and {book} in the summer.",
            "#Person2# angrily refuses to read {book} in {weeks}. They agree on {other} first and {book} in the summer.",
        ],
    ),
    Situation(
        topic="moving house and a broken vase",
        slots={"item": ["glass vase", "china vase", "blue vase", "crystal vase"],
               "value": ["two hundred dollars", "eighty dollars", "a hundred and fifty dollars"]},
        turns=[
            ["Excuse me, I just opened this box, and my {item} is broken.", "Hello, one of your men dropped a box, and now my {item} is in pieces."],
            ["I'm sorry. Was the box marked as fragile?", "Oh no. Did you write fragile on the box?"],
            ["Yes, in big red letters on every side.", "Of course. It says fragile on all four sides."],
            ["Then it's our fault. Our insurance covers broken items. How much was it worth?",
             "I apologize. We're insured for this. What was its value?"],
            ["About {value}. It was a gift from my grandmother, so it means a lot to me.", "It cost {value}, but it was also a gift from my mother."],
            ["I understand. Please fill in this form, and you'll get {value} within two weeks.",
             "I'm really sorry. Send us a photo and the form, and we'll pay {value}."],
            ["Okay. Please be more careful with the rest.", "Thank you. And please take care with the other boxes."],
        ],
        heat={
            0: ["Your men broke my {item}! Did they throw the box?", "My {item} is smashed! What were your people doing?"],
            1: ["Things break when you move. Was it even marked as fragile?", "Did you even write fragile on it? We can't read minds."],
            2: ["Yes! In big red letters! Do you want to see?", "It says fragile on every side! Look at it!"],
            6: ["Fine. And don't touch the other boxes until I check them.", "You'd better be careful with the rest."],
        },
        summaries=[
            "#Person1#'s {item} broke during the move even though the box was marked fragile. #Person2# apologizes, and the insurance will pay {value}.",
            "#Person1# finds the {item} broken after the move. #Person2#, the mover, takes responsibility and promises to pay {value}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that the movers broke the {item}. #Person2# doubts the box was marked fragile but agrees to pay {value}.",
            "#Person1# and #Person2# argue about a broken {item} in a box marked fragile. #Person2# promises to pay {value}.",
        ],
    ),
    Situation(
        topic="photographer at a wedding",
        slots={"weeks": ["six weeks", "two months", "eight weeks"],
               "promised": ["three weeks", "a month", "four weeks"],
               "day": ["Friday", "next Monday", "the end of the week"]},
        turns=[
            ["Hi, our wedding was {weeks} ago, and we still haven't got the photos.",
             "Hello, it's been {weeks} since our wedding. Where are our pictures?"],
            ["I'm sorry. I've been very busy with weddings this summer.", "I know it's late. I had a problem with my computer."],
            ["You promised them in {promised}. Our families keep asking.", "Our contract says {promised}. My parents are still waiting to see them."],
            ["You're right. Most of them are edited. I can send them by {day}.", "They're almost finished. You'll have them all by {day}."],
            ["Can you send a few of the best ones today?", "Could we get some photos now, at least?"],
            ["Of course. I'll send you twenty today and the rest by {day}.", "Sure, I'll email twenty pictures tonight. And I'll add a free printed album."],
            ["That would be wonderful. Thank you.", "Thanks. We're looking forward to it."],
        ],
        heat={
            0: ["Our wedding was {weeks} ago! Where are our photos?", "{weeks}! We've waited {weeks} for our wedding photos!"],
            1: ["I have other clients too, you know.", "Good photos take time. You can't rush art."],
            2: ["You promised {promised}! It's in the contract!", "The contract says {promised}, not {weeks}!"],
            6: ["Fine. But if they're not here by {day}, we want our money back.", "They'd better all be here by {day}."],
        },
        summaries=[
            "#Person1# still hasn't got the wedding photos {weeks} after the wedding, though #Person2# promised them in {promised}. #Person2# will send twenty today and the rest by {day}.",
            "#Person2#, the photographer, is late with #Person1#'s wedding photos. #Person2# admits the delay and promises all of them by {day}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains that the wedding photos still aren't ready {weeks} after the wedding. #Person2# makes excuses but promises them by {day}.",
            "#Person1# and #Person2# argue about wedding photos promised in {promised}. #Person2# will deliver them by {day}.",
        ],
    ),
    Situation(
        topic="customer and a slow waiter",
        slots={"minutes": ["twenty-five", "thirty", "forty"],
               "dish": ["the steak", "the risotto", "the fish soup", "the chicken curry"],
               "reason": ["two cooks are sick", "there's a big group upstairs", "the oven broke down"],
               "offer": ["a free dessert", "free coffee", "ten percent off the bill"]},
        turns=[
            ["Excuse me, we ordered {dish} {minutes} minutes ago. Is it coming soon?", "Sorry, it's been {minutes} minutes since we ordered {dish}."],
            ["I'm very sorry. The kitchen is slow tonight because {reason}.", "I apologize. {reason}, so everything is taking longer."],
            ["Can you tell us how much longer? We have a movie at nine.", "How long will it be? We need to leave by nine."],
            ["I'll ask the kitchen right away. I think it's about ten more minutes.", "I just checked. Your food is next, about ten minutes."],
            ["Okay. Actually, can we get it to take away instead?", "Hmm. If it's ten more minutes, could you pack it to go?"],
            ["Of course. I'll pack it for you, and there's {offer} for the wait.", "No problem. I'll bring it in a box, with {offer} because of the delay."],
            ["That's very kind. Thank you.", "Great, thanks."],
        ],
        heat={
            0: ["We ordered {dish} {minutes} minutes ago! Did the cook go home?", "{minutes} minutes! How long does it take to make {dish}?"],
            1: ["It's busy tonight. {reason}. I can't cook it myself.", "{reason}. Everyone is waiting, not only you."],
            2: ["We have a movie at nine! How much longer?", "We need to leave by nine, and we still have no food!"],
            4: ["Forget it. Just put it in a box, we'll eat it at home.", "Ten more minutes? Just pack it to go."],
        },
        summaries=[
            "#Person1# has waited {minutes} minutes for {dish} because {reason}. #Person2# packs the food to go and gives {offer} for the wait.",
            "#Person1#'s order of {dish} is late, so #Person1# asks for it to go. #Person2# apologizes and gives {offer}.",
        ],
        heated_summaries=[
            "#Person1# angrily complains about waiting {minutes} minutes for {dish}. #Person2# explains that {reason} and packs the food to go with {offer}.",
            "#Person1# and #Person2# argue about a slow order. #Person1# takes {dish} to go, and #Person2# offers {offer}.",
        ],
    ),
    Situation(
        topic="call centre and a double charge",
        slots={"amount": ["forty-nine dollars", "a hundred and twelve dollars", "twenty-nine dollars"],
               "days": ["three to five working days", "seven days", "two days"],
               "day": ["Tuesday", "Monday", "Saturday"]},
        turns=[
            ["Hello, I was charged twice for the same order. It was {amount}.",
             "Hi, I see two payments of {amount} on my card, but I only ordered once."],
            ["I'm sorry about that. Can you give me your order number?", "Let me look into it. What's the order number?"],
            ["It's seven seven four one, from {day}.", "Seven seven four one. I ordered on {day}."],
            ["I see it. The payment went through twice because of a system error.",
             "You're right, there are two payments. Our website had a problem that day."],
            ["So when do I get my money back?", "Can you refund the second payment today?"],
            ["I've started the refund now. It takes {days} to show on your card.", "The refund is on its way. You'll see it within {days}."],
            ["Okay. Can you send me an email to confirm it?", "Fine, but please send me a confirmation email."],
        ],
        heat={
            0: ["You charged me twice! {amount}, two times! Give it back!", "Two payments of {amount} for one order? Is this some kind of trick?"],
            1: ["Calm down, please. I need the order number first.", "I can't do anything without the order number."],
            4: ["A mistake? So when do I get my money back?", "Just give me back my {amount}! When?"],
            6: ["{days}? For your mistake? Send me an email to confirm, at least.", "Fine. But I want an email confirming it today."],
        },
        summaries=[
            "#Person1# was charged {amount} twice for one order. #Person2# finds a technical problem and starts a refund that takes {days}.",
            "#Person2# confirms that #Person1# paid {amount} twice for the order from {day} and refunds the second payment.",
        ],
        heated_summaries=[
            "#Person1# angrily complains about being charged {amount} twice. #Person2# starts a refund, which takes {days}.",
            "#Person1# and #Person2# argue about a double charge of {amount}. #Person2# refunds it, and #Person1# asks for a confirmation email.",
        ],
    ),
    Situation(
        topic="hotel and a noisy room next door",
        slots={"room": ["four twelve", "two oh eight", "six fifteen"],
               "noise": ["loud music", "a party", "a lot of shouting", "a very loud TV"],
               "time": ["midnight", "one in the morning", "half past eleven"]},
        turns=[
            ["Hello, this is room {room}. There's {noise} in the room next door.",
             "Hi, I'm in room {room}. I can't sleep because of {noise} next door."],
            ["I'm sorry. I'll call them and ask them to be quiet.", "I apologize. I'll send someone up to speak to them."],
            ["Thank you. It's {time} already, and I have an early flight.", "Please do. It's {time}, and I have to get up at five."],
            ["If it doesn't stop, I can move you to a quiet room on another floor.", "And if it goes on, we have a free room on the top floor."],
            ["Let's try talking to them first. I've already unpacked.", "I'd rather not move now, but I'll call back if it goes on."],
            ["Of course. Call me any time.", "Understood. I'm at the desk all night."],
        ],
        heat={
            0: ["This is room {room}! How is anyone supposed to sleep with {noise} next door?",
                "Room {room} here! There's {noise} next door! Is this a hotel or a nightclub?"],
            1: ["I'll call them. There's no need to shout at me.", "We can't control every guest. I'll call them."],
            2: ["It's {time}! I have an early flight!", "It's {time}, and I have to be up at five! Do something!"],
            4: ["Move? I've unpacked everything! Just make them stop!", "I'm not packing my bags at {time}! Make them stop!"],
        },
        summaries=[
            "#Person1# in room {room} complains about {noise} next door at {time}. #Person2# will ask the guests to be quiet and offers another room if it goes on.",
            "#Person1# can't sleep because of {noise} next door and has to get up early. #Person1# prefers to stay, and #Person2# will deal with the noise.",
        ],
        heated_summaries=[
            "#Person1# angrily complains about {noise} next to room {room}. #Person2# will deal with the guests and offers another room, which #Person1# refuses.",
            "#Person1# and #Person2# argue about the noise next door at {time}. #Person1# refuses to move, and #Person2# will ask the guests to be quiet.",
        ],
    ),
    Situation(
        topic="landlord keeping a deposit",
        slots={"deposit": ["eight hundred dollars", "a thousand dollars", "twelve hundred dollars"],
               "kept": ["two hundred dollars", "three hundred dollars", "one hundred and fifty dollars"],
               "damage": ["a stain on the carpet", "a broken cupboard door", "a big scratch on the floor", "a crack in the bathroom mirror"]},
        turns=[
            ["Hi, I got back only part of my deposit. You kept {kept}, and the deposit was {deposit}.", "Hello, why did you keep {kept} of my deposit?"],
            ["When I checked the flat, there was {damage}.", "Because of {damage}. That has to be repaired."],
            ["That was already there when I moved in. It's in the photos I sent you.", "But that was there before me. I have photos from my first day."],
            ["I don't remember that. Can you send the photos again?", "Really? Please send them to me again, and I'll check."],
            ["Sure, I'm sending them now. Look at the second picture.", "I just sent them. You can see it clearly in the third one."],
            ["I see it now. You're right, I'm sorry. I'll send you the {kept} today.",
             "Okay, it was there before. I'll transfer the {kept} back this afternoon."],
            ["Thank you. I'm glad we sorted it out.", "Great, thanks for checking."],
        ],
        heat={
            1: ["There was {damage}. Did you think I wouldn't notice?", "Because you left {damage}. Repairs aren't free."],
            2: ["That was there before I moved in! I sent you the photos!", "I didn't do that! I have photos from my first day, remember?"],
            3: ["I don't remember any photos. Send them again, then.", "Photos? Send them, and we'll see."],
            5: ["Fine, it was there before. You'll get the {kept} back.", "All right, you'll get the {kept} back. No need to make a drama."],
        },
        summaries=[
            "#Person2# kept {kept} of #Person1#'s deposit because of {damage}. #Person1# shows photos proving it was there before, and #Person2# returns the money.",
            "#Person1# asks #Person2# why {kept} of the deposit was kept. #Person2# checks #Person1#'s photos, admits the mistake and pays the {kept} back.",
        ],
        heated_summaries=[
            "#Person1# and #Person2# argue about {kept} kept from the deposit for {damage}. #Person1# sends photos, and #Person2# agrees to give the money back.",
            "#Person1# angrily says that {damage} was there before moving in. After seeing the photos, #Person2# returns the {kept}.",
        ],
    ),
    Situation(
        topic="friend cancelling plans again",
        slots={"plan": ["dinner at the Thai place", "the movie tonight", "the tennis game", "the museum trip"],
               "reason": ["extra work", "a headache", "a family dinner"],
               "times": ["the third time", "the second time", "the fourth time"],
               "newday": ["Saturday", "Sunday afternoon", "Friday"]},
        turns=[
            ["Hi, I'm really sorry, but I can't make {plan}. I have {reason}.", "Hey, bad news. I have to cancel {plan} because of {reason}."],
            ["Again? That's {times} this month.", "Seriously? This is {times} you've cancelled this month."],
            ["I know, and I feel terrible about it. It's been a crazy month.", "You're right. I'm sorry. Things have been really busy."],
            ["I was looking forward to it. I even said no to other plans.", "I was excited about it. I even turned down another invitation."],
            ["Let me make it up to you. How about {newday}? It's on me.", "Can we do it on {newday} instead? I'll pay."],
            ["Okay, {newday}. But if you cancel again, I'm not asking you anymore.", "Fine. {newday} it is, but please don't cancel this time."],
            ["I promise. I'll put it in my calendar right now.", "I won't. Thanks for being patient."],
        ],
        heat={
            1: ["Again? That's {times} this month! Why do I even bother?", "Of course. {times} this month! I'm done planning things with you."],
            3: ["I turned down other plans for you! Do you ever think about anyone else?", "I said no to other friends because of you! Every time!"],
            5: ["Fine, {newday}. But cancel once more and we're done.", "{newday}. And this is your last chance."],
        },
        summaries=[
            "#Person1# cancels {plan} because of {reason}, for {times} this month. #Person2# is disappointed, and they move it to {newday}, with #Person1# paying.",
            "#Person1# has to cancel {plan} again. #Person2# is upset but accepts #Person1#'s offer to meet on {newday} instead.",
        ],
        heated_summaries=[
            "#Person2# angrily complains that #Person1# has cancelled plans for {times} this month. #Person2# agrees to {newday} as a last chance.",
            "#Person1# and #Person2# argue after #Person1# cancels {plan} because of {reason}. They agree to meet on {newday}.",
        ],
    ),
]
