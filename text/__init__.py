"""Words and figures of Chinese text, shared by answering, fact-checking and talking points:
numbers and numerals, names, the facts of a sentence, the time-scope words, the English
glossary, and the word lists under ``data/``."""
