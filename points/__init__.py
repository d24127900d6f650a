"""讲话要点: talking points on a topic, grouped by theme, each with its source."""
