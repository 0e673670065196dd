"""The editing core: the edit of a sample, its session, its drafts and the workflows.

Qt-free. Opening a sample, submitting an edit and confirming it by read-back, and
describing a failure in words are plain functions here; ``ui`` runs them off the GUI
thread and shows their results.
"""
