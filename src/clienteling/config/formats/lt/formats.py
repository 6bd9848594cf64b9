"""Lithuanian (R-UX-2): "1989 m. gruodžio 1 d." with no-break spaces, so that a date
never wraps between its parts; ISO 8601 (1989-12-01) in short and in date inputs, a 24-hour
clock, a no-break space between thousands. The first DATE_INPUT_FORMATS entry is how a date
input shows a date.
"""

NBSP = "\u00a0"  # no-break space

DATE_FORMAT = f"Y{NBSP}\\m.{NBSP}E{NBSP}j{NBSP}\\d."  # 1989 m. gruodžio 1 d.
TIME_FORMAT = "H:i"  # 19:16
DATETIME_FORMAT = f"{DATE_FORMAT} H:i"  # 2026 m. lapkričio 30 d. 19:16
YEAR_MONTH_FORMAT = f"Y{NBSP}\\m.{NBSP}F"  # 2026 m. lapkritis
MONTH_DAY_FORMAT = f"E{NBSP}j{NBSP}\\d."  # lapkričio 30 d.
SHORT_DATE_FORMAT = "Y-m-d"  # 2026-11-30
SHORT_DATETIME_FORMAT = "Y-m-d H:i"  # 2026-11-30 19:16
FIRST_DAY_OF_WEEK = 1  # pirmadienis

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-11-30
    "%Y.%m.%d",  # 2026.11.30
    "%d.%m.%Y",  # 30.11.2026
    "%d.%m.%y",  # 30.11.26
]
TIME_INPUT_FORMATS = [
    "%H:%M",  # 19:16
    "%H:%M:%S",  # 19:16:59
    "%H.%M",  # 19.16
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M",  # 2026-11-30 19:16
    "%Y-%m-%d %H:%M:%S",  # 2026-11-30 19:16:59
    "%Y-%m-%dT%H:%M",  # 2026-11-30T19:16
    "%Y-%m-%dT%H:%M:%S",  # 2026-11-30T19:16:59
    "%d.%m.%Y %H:%M",  # 30.11.2026 19:16
]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = NBSP
NUMBER_GROUPING = 3
