"""Backup files in the "backups" storage (BACKUP_DIR by default, or any Django storage)."""
from pathlib import Path
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import Storage, storages

from backups.models import Backup


def backups_storage() -> Storage:
    return storages["backups"]


def backup_file_save(*, name: str, path: Path) -> str:
    """Store the finished file under `name`; returns the name the storage chose."""
    with open(path, "rb") as handle:
        return backups_storage().save(name, File(handle, name=name))


def backup_file_open(*, backup: Backup) -> BinaryIO:
    """The stored file of a backup, opened for reading (for downloads, verify and restore)."""
    return backups_storage().open(backup.file_name, "rb")


def backup_file_delete(*, backup: Backup) -> None:
    if backup.file_name:
        storage = backups_storage()
        if storage.exists(backup.file_name):
            storage.delete(backup.file_name)
