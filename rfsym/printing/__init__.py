"""Printers: tables (text, Markdown, LaTeX) and, later, LaTeX for closed forms."""
