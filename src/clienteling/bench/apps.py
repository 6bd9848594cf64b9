from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenchConfig(AppConfig):
    """The scale data set and the benchmark; in INSTALLED_APPS only outside production."""

    name = "clienteling.bench"
    label = "bench"
    verbose_name = _("Benchmark")
