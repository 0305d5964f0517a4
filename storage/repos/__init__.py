"""One repository per aggregate; `storage.uow.UnitOfWork` holds one of each for a turn."""
