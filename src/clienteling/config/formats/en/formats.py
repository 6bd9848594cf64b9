"""English as written in Europe (R-UX-2): day month year and a 24-hour clock,
e.g. 30 Nov 2026 19:16; 30/11/2026 in short and in date inputs.

The first DATE_INPUT_FORMATS entry is how a date input shows a date; every entry, ISO
8601 (2026-11-30) included, is read back.
"""

DATE_FORMAT = "j M Y"  # 30 Nov 2026
TIME_FORMAT = "H:i"  # 19:16
DATETIME_FORMAT = "j M Y H:i"  # 30 Nov 2026 19:16
YEAR_MONTH_FORMAT = "F Y"  # November 2026
MONTH_DAY_FORMAT = "j F"  # 30 November
SHORT_DATE_FORMAT = "d/m/Y"  # 30/11/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 30/11/2026 19:16
FIRST_DAY_OF_WEEK = 1  # Monday

DATE_INPUT_FORMATS = [
    "%d/%m/%Y",  # 30/11/2026
    "%Y-%m-%d",  # 2026-11-30
    "%d/%m/%y",  # 30/11/26
    "%d.%m.%Y",  # 30.11.2026
    "%d-%m-%Y",  # 30-11-2026
]
TIME_INPUT_FORMATS = [
    "%H:%M",  # 19:16
    "%H:%M:%S",  # 19:16:59
    "%H.%M",  # 19.16
]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M",  # 30/11/2026 19:16
    "%d/%m/%Y %H:%M:%S",  # 30/11/2026 19:16:59
    "%Y-%m-%d %H:%M",  # 2026-11-30 19:16
    "%Y-%m-%d %H:%M:%S",  # 2026-11-30 19:16:59
    "%Y-%m-%dT%H:%M",  # 2026-11-30T19:16
    "%Y-%m-%dT%H:%M:%S",  # 2026-11-30T19:16:59
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
