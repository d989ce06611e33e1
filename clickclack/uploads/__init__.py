"""Uploads (contract 16): everything about the bytes, none of the SQL.

* :mod:`~clickclack.uploads.streaming` -- the request body of ``POST /api/uploads``, read as a
  stream with backpressure (never held whole in memory), and the multipart reader over it;
* :mod:`~clickclack.uploads.storage` -- temp files, fsync + atomic rename to
  ``<data>/uploads/upload-<random>``, removal; all blocking file work runs in worker threads;
* :mod:`~clickclack.uploads.sniff` -- the type from the first bytes, filenames made harmless,
  and the download headers (``Content-Type`` allow-list, ``Content-Disposition``);
* :mod:`~clickclack.uploads.images` -- image dimensions from the header (decompression bombs
  are refused before any decoding) and EXIF-free thumbnails, in worker threads;
* :mod:`~clickclack.uploads.housekeeping` -- the background task that removes the files of
  deleted uploads, expired unattached uploads and files nobody owns.

The rows (uploads, reservations, attachments, cleanups) live in ``clickclack/store/uploads.py``.
"""
