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
    return "an" if word[0] in "aeiou" else "a"


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
    """One sentence that repeats every insult of the dialogue, by who said it to whom."""
    clauses = []
    for speaker, insult in insults:
        target = P2 if speaker == P1 else P1
        clauses.append(insult.clause.format(A=speaker, B=target))
    if len(clauses) == 1:
        return clauses[0] + "."
    joined = ", ".join(clauses[:-1]) + ", and " + clauses[-1]
    return joined + "."


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
               "minutes": ["ten", "fifteen", "twenty", "half an hour"]},
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
]
