"""Printers: one LaTeX printer (rfsym.printing.latex), one renderer per table format (rfsym.printing.table), TikZ figures (rfsym.printing.tikz)."""
