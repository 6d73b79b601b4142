//! `kshift man`: one manual page. clap_mangen renders the sections of the top command;
//! its subcommands section would point at a page per subcommand (`kshift-demo(1)`),
//! which kshift does not install, so the commands are listed here instead, each with
//! its synopsis and what it does.

use clap::CommandFactory;

use super::Cli;

/// The page, in roff.
pub fn page() -> std::io::Result<Vec<u8>> {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    page.extend_from_slice(b".SH COMMANDS\n");
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let usage = sub.clone().render_usage().to_string();
        let usage = usage.trim_start_matches("Usage:").trim();
        let synopsis = usage.replacen(sub.get_name(), &format!("kshift {}", sub.get_name()), 1);
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        page.extend_from_slice(
            format!(".TP\n\\fB{}\\fR\n{}\n", roff(&synopsis), roff(&about)).as_bytes(),
        );
    }
    page.extend_from_slice(
        b".PP\nThe options of each command: \\fBkshift help\\fR \\fICOMMAND\\fR.\n",
    );
    man.render_version_section(&mut page)?;
    Ok(page)
}

/// Text as roff reads it literally: backslashes and hyphens escaped, no line starting
/// with a control character.
fn roff(text: &str) -> String {
    text.replace('\\', "\\e")
        .replace('-', "\\-")
        .lines()
        .map(|line| {
            if line.starts_with(['.', '\'']) {
                format!("\\&{line}")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_names_no_page_that_does_not_exist() {
        let page = String::from_utf8(super::page().expect("a page")).expect("UTF-8");
        assert!(!page.contains("(1)"), "{page}");
        assert!(page.contains(".SH COMMANDS"), "{page}");
        assert!(page.contains("\\fBkshift demo"), "{page}");
        assert!(page.contains("\\fBkshift step"), "{page}");
        assert!(page.contains(".SH OPTIONS"), "{page}");
    }
}
