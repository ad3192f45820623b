"""A model's whole life in one statement: every training run that led to it (its own pre-training,
fine-tunes, failed and restarted runs, evaluation, and its base models' training as separate
lines), inference to date, energy per request month by month, the crossover of inference over
training (or its projection, with the assumptions stated) and training amortised per request.

`build.build_statement` reads the warehouse (fleet jobs) and the declared usage
(pipeline/method/declared.py); `render.write_statement` writes lifecycle.json, .html and .pdf.
The monthly report prints the same statement per model, up to the month's last day.
"""
