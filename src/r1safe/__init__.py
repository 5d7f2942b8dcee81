"""r1safe: make R1-style reasoning models harmless without breaking them.

Train (SFT, GRPO, hybrid recipes), evaluate, monitor and guard reasoning models that think
inside ``<think>…</think>`` before they answer. The embedded default is the safety gym: a
synthetic world with exact ground truth and a tiny model that trains on a laptop CPU.
"""

__version__ = "0.1.0"
