"""Italian (R-UX-2): "1 dicembre 1989", month names in lower case (see the package's
docstring), no leading zero on the day, a 24-hour clock; 01/12/1989 in short and in date
inputs. The first DATE_INPUT_FORMATS entry is how a date input shows a date.
"""

DATE_FORMAT = "j F Y"  # 1 dicembre 1989
TIME_FORMAT = "H:i"  # 19:16
DATETIME_FORMAT = "j F Y H:i"  # 30 novembre 2026 19:16
YEAR_MONTH_FORMAT = "F Y"  # novembre 2026
MONTH_DAY_FORMAT = "j F"  # 30 novembre
SHORT_DATE_FORMAT = "d/m/Y"  # 30/11/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 30/11/2026 19:16
FIRST_DAY_OF_WEEK = 1  # lunedì

DATE_INPUT_FORMATS = [
    "%d/%m/%Y",  # 30/11/2026
    "%Y-%m-%d",  # 2026-11-30
    "%d/%m/%y",  # 30/11/26
    "%d-%m-%Y",  # 30-11-2026
    "%d.%m.%Y",  # 30.11.2026
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
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
