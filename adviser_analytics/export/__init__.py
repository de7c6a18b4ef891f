"""The only code that knows LinkedIn's file layouts.

```python
from adviser_analytics.export import read_export, ExportContents, ReadLimits
contents = read_export(path)          # a .zip, or a folder with the files at any depth
```
See docs/architecture.md ("Canonical frames") for the shapes and
shared/linkedin-export-format.md for the layouts.
"""

from .dates import DATE_FORMATS, parse_dates
from .layouts import CANONICAL_NAMES
from .limits import ReadLimits
from .reader import ExportContents, empty_contents, find_export_files, read_export

__all__ = [
    "CANONICAL_NAMES",
    "DATE_FORMATS",
    "ExportContents",
    "ReadLimits",
    "empty_contents",
    "find_export_files",
    "parse_dates",
    "read_export",
]
