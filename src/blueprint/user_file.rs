//! Reading a file whose path a user gave: a blueprint and every file of its `extends` chain,
//! and for the layers above a saved plan, a state to push, the local state file. Only a
//! regular file is read (a symlink to one is fine), and never more than a cap: a FIFO would
//! block the read forever, `/dev/zero` would fill memory, a directory cannot be read. The
//! kind is checked before the file is opened (opening a FIFO blocks until a writer comes),
//! again on the open handle (the path may have changed in between; the open does not block
//! on a FIFO either), and the read stops after cap + 1 bytes, so a file that grows or a
//! device whose metadata claims a small size is still never read unbounded.

use std::fs::{File, FileType, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// Why a user's file was not read.
#[derive(Debug, thiserror::Error)]
pub enum UserFileError {
    /// Opening or reading failed (missing, permission denied, ...).
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The path names something other than a regular file.
    #[error("it is {kind}, not a regular file")]
    NotRegular { kind: &'static str },
    /// The file holds more than the cap.
    #[error("it is larger than {}, the most eksforge reads from such a file", bytes(*cap))]
    TooLarge { cap: u64 },
}

impl UserFileError {
    /// True for a path where nothing exists.
    pub fn is_not_found(&self) -> bool {
        matches!(self, UserFileError::Io(error) if error.kind() == io::ErrorKind::NotFound)
    }
}

/// The bytes of the regular file at `path` (symlinks followed), refusing anything else and
/// anything longer than `cap` bytes.
pub fn read(path: &Path, cap: u64) -> Result<Vec<u8>, UserFileError> {
    check_kind(std::fs::metadata(path)?.file_type())?;
    let mut options = OpenOptions::new();
    options.read(true);
    // A FIFO swapped in after the check must not block the open; for a regular file the
    // flag changes nothing.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    check_kind(metadata.file_type())?;
    if metadata.len() > cap {
        return Err(UserFileError::TooLarge { cap });
    }
    read_at_most(file, cap)
}

/// `Ok` when nothing is at `path` or a regular file is (symlinks followed), else why not: for
/// a path about to be written (the local state, before its lock is taken beside it).
pub fn absent_or_regular(path: &Path) -> Result<(), UserFileError> {
    match std::fs::metadata(path) {
        Ok(metadata) => check_kind(metadata.file_type()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(UserFileError::Io(error)),
    }
}

/// Reads `file` to its end, refusing it once it holds more than `cap` bytes.
fn read_at_most(file: File, cap: u64) -> Result<Vec<u8>, UserFileError> {
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(UserFileError::TooLarge { cap });
    }
    Ok(bytes)
}

fn check_kind(kind: FileType) -> Result<(), UserFileError> {
    if kind.is_file() {
        return Ok(());
    }
    Err(UserFileError::NotRegular {
        kind: describe(kind),
    })
}

/// "a directory", "a FIFO (named pipe)", ...
fn describe(kind: FileType) -> &'static str {
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() {
            return "a character device (like /dev/zero)";
        }
        if kind.is_block_device() {
            return "a block device";
        }
    }
    "not a file"
}

/// `1 MiB`, `64 MiB`, `512 bytes`: a cap as people say it.
pub fn bytes(count: u64) -> String {
    const MIB: u64 = 1 << 20;
    const KIB: u64 = 1 << 10;
    if count >= MIB && count.is_multiple_of(MIB) {
        format!("{} MiB", count / MIB)
    } else if count >= KIB && count.is_multiple_of(KIB) {
        format!("{} KiB", count / KIB)
    } else {
        format!("{count} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_and_a_symlink_to_one_are_read() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("a.toml");
        std::fs::write(&file, b"x = 1\n").expect("write");
        assert_eq!(read(&file, 6).expect("read"), b"x = 1\n");
        #[cfg(unix)]
        {
            let link = dir.path().join("link.toml");
            std::os::unix::fs::symlink(&file, &link).expect("symlink");
            assert_eq!(read(&link, 1024).expect("read"), b"x = 1\n");
        }
    }

    #[test]
    fn a_file_over_the_cap_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("big.toml");
        std::fs::write(&file, b"1234567").expect("write");
        assert!(matches!(
            read(&file, 6),
            Err(UserFileError::TooLarge { cap: 6 })
        ));
    }

    #[test]
    fn the_read_stops_after_the_cap_whatever_the_metadata_says() {
        // /dev/zero claims a size of 0 and never ends.
        let file = File::open("/dev/zero").expect("open /dev/zero");
        assert!(matches!(
            read_at_most(file, 1 << 20),
            Err(UserFileError::TooLarge { .. })
        ));
    }

    #[test]
    fn what_is_not_a_regular_file_is_named_and_never_opened() {
        let dir = tempfile::tempdir().expect("dir");
        let error = read(dir.path(), 1024).expect_err("a directory");
        assert_eq!(error.to_string(), "it is a directory, not a regular file");
        #[cfg(unix)]
        {
            let error = read(Path::new("/dev/zero"), 1024).expect_err("a device");
            assert!(error.to_string().contains("character device"), "{error}");
        }
        assert!(read(&dir.path().join("missing"), 1).is_err_and(|e| e.is_not_found()));
        assert!(absent_or_regular(&dir.path().join("missing")).is_ok());
        assert!(absent_or_regular(dir.path()).is_err());
    }

    #[test]
    fn caps_read_as_people_say_them() {
        assert_eq!(bytes(1 << 20), "1 MiB");
        assert_eq!(bytes(64 << 20), "64 MiB");
        assert_eq!(bytes(2048), "2 KiB");
        assert_eq!(bytes(100), "100 bytes");
    }
}
