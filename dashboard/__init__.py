"""The Gradio dashboard: one module per tab, plus the runner, the run-directory reader and plots.

Nothing here does ML itself: training runs in `engine.train` subprocesses, and comparison,
evaluation and scoring call into `engine`.
"""
