"""The performance_rnn models Magenta published (sources: ``magwidgets.families.published``)."""

from magwidgets.families.published import bundle

PERFORMANCE = "Performance RNN pre-trained on the Yamaha e-Piano Competition performances"

HUB_MODELS = (
    bundle("performance", "performance_rnn", "performance",
            f"{PERFORMANCE}: expressive timing, no velocities"),
    bundle("performance_with_dynamics", "performance_rnn", "performance_with_dynamics",
            f"{PERFORMANCE}: expressive timing and velocities in 32 bins"),
    bundle("performance_with_dynamics_and_modulo_encoding", "performance_rnn",
            "performance_with_dynamics_and_modulo_encoding",
            f"{PERFORMANCE}: dynamics, event values encoded on the unit circle"),
    bundle("density_conditioned_performance_with_dynamics", "performance_rnn",
            "density_conditioned_performance_with_dynamics",
            f"{PERFORMANCE}: conditioned on notes per second"),
    bundle("pitch_conditioned_performance_with_dynamics", "performance_rnn",
            "pitch_conditioned_performance_with_dynamics",
            f"{PERFORMANCE}: conditioned on a pitch-class histogram"),
    bundle("multiconditioned_performance_with_dynamics", "performance_rnn",
            "multiconditioned_performance_with_dynamics",
            f"{PERFORMANCE}: conditioned on note density and pitch classes"),
)
