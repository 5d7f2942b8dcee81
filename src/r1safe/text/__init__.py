"""Text utilities shared by the gym, evaluation, training rewards and the guard."""
