"""The study: base vs SFT vs RL vs hybrid vs distilled student, end to end, in one report."""
