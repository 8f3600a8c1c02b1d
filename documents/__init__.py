"""Documents Kinerja issues as files: the dokumen evaluasi kinerja pegawai as PDF (evaluation_pdf)."""
