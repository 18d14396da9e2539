"""Each user's own settings: the language, and which notifications reach them, how often and
where."""
