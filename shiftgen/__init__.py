"""shiftgen: verified RTL and honest resource figures for shift-based NN arithmetic."""

__version__ = "0.1.0"
