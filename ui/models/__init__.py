"""Table models over the core's data (QAbstractTableModel adapters)."""
