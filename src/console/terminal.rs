//! The terminal under the console: a backend whose size is clamped (a terminal that
//! reports 65535x65535 would have ratatui allocate two buffers of 4 billion cells),
//! the signals that end the console (each restores the terminal on its way out), and
//! suspend and resume (SIGTSTP, SIGCONT).

use std::io::{Stdout, stdout};

use crossterm::cursor::Show;
use crossterm::execute;
use crossterm::terminal::ClearType;
use crossterm::terminal::{
    Clear, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

/// The largest terminal the console draws on; a bigger one is drawn in its top-left
/// corner. 1000 x 500 cells is a wall of 4K screens at a small font, and two buffers
/// of it stay under 50 MB.
pub const MAX_WIDTH: u16 = 1000;
pub const MAX_HEIGHT: u16 = 500;

/// A size as the console uses it: at most `MAX_WIDTH` x `MAX_HEIGHT`.
pub fn clamp(width: u16, height: u16) -> (u16, u16) {
    (width.min(MAX_WIDTH), height.min(MAX_HEIGHT))
}

/// The console's terminal.
pub type Console = Terminal<Clamped>;

/// Crossterm on stdout, reporting at most `MAX_WIDTH` x `MAX_HEIGHT`.
pub struct Clamped(CrosstermBackend<Stdout>);

/// Raw mode, the alternate screen, and a terminal over them; the caller restores.
pub fn open() -> std::io::Result<Console> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen)?;
    Terminal::new(Clamped(CrosstermBackend::new(stdout())))
}

/// Back to the terminal as it was: cooked mode, the main screen, the cursor shown.
/// Every step is tried even when one fails.
pub fn restore() -> std::io::Result<()> {
    let raw = disable_raw_mode();
    let screen = execute!(stdout(), LeaveAlternateScreen, Show);
    raw.and(screen)
}

/// After a stop: raw mode and the alternate screen again, blank, and ratatui told so;
/// the next draw redraws everything.
pub fn reenter(terminal: &mut Console) -> std::io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, Clear(ClearType::All))?;
    // Not `Terminal::clear`: it asks the terminal where the cursor is, and the answer
    // would race the key reader for stdin. A blank frame makes ratatui's last frame
    // blank, as the screen now is.
    terminal.draw(|_| {})?;
    Ok(())
}

impl Backend for Clamped {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.0.draw(content)
    }

    fn append_lines(&mut self, n: u16) -> std::io::Result<()> {
        self.0.append_lines(n)
    }

    fn hide_cursor(&mut self) -> std::io::Result<()> {
        self.0.hide_cursor()
    }

    fn show_cursor(&mut self) -> std::io::Result<()> {
        self.0.show_cursor()
    }

    fn get_cursor_position(&mut self) -> std::io::Result<Position> {
        self.0.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> std::io::Result<()> {
        self.0.set_cursor_position(position)
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.0.clear()
    }

    fn clear_region(&mut self, clear_type: ratatui::backend::ClearType) -> std::io::Result<()> {
        self.0.clear_region(clear_type)
    }

    fn size(&self) -> std::io::Result<Size> {
        let size = self.0.size()?;
        let (width, height) = clamp(size.width, size.height);
        Ok(Size { width, height })
    }

    fn window_size(&mut self) -> std::io::Result<WindowSize> {
        let mut size = self.0.window_size()?;
        let (width, height) = clamp(size.columns_rows.width, size.columns_rows.height);
        size.columns_rows = Size { width, height };
        Ok(size)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Backend::flush(&mut self.0)
    }
}

/// What a signal asks of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signalled {
    /// End, as quitting does, then exit 128 + the signal's number.
    End(Ended),
    /// SIGTSTP: give the terminal back and stop.
    Suspend,
    /// SIGCONT: take the terminal again and redraw.
    Resume,
}

/// The signal that ended the console: its exit code is 128 + its number, as a shell
/// reports a process it killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended {
    pub name: &'static str,
    pub number: i32,
}

impl Ended {
    pub fn code(self) -> u8 {
        u8::try_from(128 + self.number).unwrap_or(1)
    }
}

impl std::fmt::Display for Ended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "console stopped by {}", self.name)
    }
}

impl std::error::Error for Ended {}

use signal_hook::consts::signal as sig;

/// Every signal whose default action ends the process and that a process may catch,
/// but those a fault raises (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS)
/// and SIGPIPE (which Rust ignores).
const ENDING: &[(&str, i32)] = &[
    ("SIGHUP", sig::SIGHUP),
    ("SIGINT", sig::SIGINT),
    ("SIGQUIT", sig::SIGQUIT),
    ("SIGUSR1", sig::SIGUSR1),
    ("SIGUSR2", sig::SIGUSR2),
    ("SIGALRM", sig::SIGALRM),
    ("SIGTERM", sig::SIGTERM),
    ("SIGXCPU", sig::SIGXCPU),
    ("SIGXFSZ", sig::SIGXFSZ),
    ("SIGVTALRM", sig::SIGVTALRM),
    ("SIGPROF", sig::SIGPROF),
    ("SIGIO", sig::SIGIO),
];

/// Listens for the signals the console handles; each arrives on the returned channel.
/// Installing a handler is what keeps a signal's default action (dying with the
/// terminal raw) from happening.
pub fn signals() -> std::io::Result<mpsc::UnboundedReceiver<Signalled>> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut wanted: Vec<(i32, Signalled)> = ENDING
        .iter()
        .map(|&(name, number)| (number, Signalled::End(Ended { name, number })))
        .collect();
    wanted.push((sig::SIGTSTP, Signalled::Suspend));
    wanted.push((sig::SIGCONT, Signalled::Resume));
    for (number, meaning) in wanted {
        let mut stream = signal(SignalKind::from_raw(number))?;
        let tx = tx.clone();
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                if tx.send(meaning).is_err() {
                    return;
                }
            }
        });
    }
    Ok(rx)
}

/// Gives the terminal back and stops the process as SIGTSTP's default would; returns
/// once it is continued (SIGCONT then brings `Signalled::Resume`).
pub fn suspend() -> std::io::Result<()> {
    restore()?;
    signal_hook::low_level::raise(sig::SIGSTOP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_sizes_are_clamped_and_signals_exit_as_a_shell_reports_them() {
        assert_eq!(clamp(65535, 65535), (MAX_WIDTH, MAX_HEIGHT));
        assert_eq!(clamp(80, 24), (80, 24));
        let quit = Ended {
            name: "SIGQUIT",
            number: sig::SIGQUIT,
        };
        assert_eq!(quit.code(), 131);
        assert_eq!(quit.to_string(), "console stopped by SIGQUIT");
    }
}
