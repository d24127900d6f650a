"""核稿: claims of a draft checked against the library, with verdicts and evidence."""
