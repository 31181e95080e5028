"""Language models over HTTP: the OpenAI-compatible chat client (retries, cache, cost) and
the VSC/SQ judges with their prompt files.
"""
