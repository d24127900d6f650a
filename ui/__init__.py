"""The Gradio front end's parts: tabs, HTML rendering, upload storage and shared state."""
