"""stub"""
from datetime import datetime
from konform.store.database import Store

def summarise(store: Store, now: datetime) -> None:
    pass
