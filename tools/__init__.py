"""Development tools: training scripts for the models openkyc ships, and their rendering helpers.

Nothing here is imported by the package at run time.
"""
