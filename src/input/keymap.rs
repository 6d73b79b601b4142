//! The active keymap: the embedded default with a user's partial override.

use std::collections::HashMap;

use crossterm::event::KeyEvent;

use super::{Action, KeyBinding};

const DEFAULT: &str = include_str!("../../keymaps/default.toml");

/// Keys per action, and the reverse lookup key presses use.
#[derive(Debug, Clone)]
pub struct Keymap {
    keys: HashMap<Action, Vec<KeyBinding>>,
    actions: HashMap<KeyBinding, Action>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut keymap = Keymap {
            keys: HashMap::new(),
            actions: HashMap::new(),
        };
        // The embedded file is checked by a test, so its warnings are empty.
        keymap.apply(DEFAULT, &mut Vec::new());
        keymap
    }
}

impl Keymap {
    /// The default keymap overridden by `text`: only the actions it names
    /// change. Anything odd becomes a warning, never an error.
    pub fn load(text: &str) -> (Keymap, Vec<String>) {
        let mut keymap = Keymap::default();
        let mut warnings = Vec::new();
        keymap.apply(text, &mut warnings);
        keymap.keep_a_way_out(&mut warnings);
        (keymap, warnings)
    }

    /// The action a key press stands for, if any.
    pub fn action(&self, event: &KeyEvent) -> Option<Action> {
        self.actions.get(&KeyBinding::from_event(event)).copied()
    }

    /// The keys bound to an action, in the order the keymap lists them.
    pub fn keys(&self, action: Action) -> &[KeyBinding] {
        self.keys.get(&action).map_or(&[], Vec::as_slice)
    }

    fn apply(&mut self, text: &str, warnings: &mut Vec<String>) {
        let table = match text.parse::<toml::Table>() {
            Ok(table) => table,
            Err(err) => {
                warnings.push(format!("keymap ignored: {}", err.message()));
                return;
            }
        };
        for (name, value) in &table {
            let Some(action) = Action::from_name(name) else {
                warnings.push(format!("keymap: unknown action {name:?}"));
                continue;
            };
            let keys = parse_keys(name, value, warnings);
            let unbound = matches!(value, toml::Value::Array(items) if items.is_empty());
            if keys.is_empty() && !unbound {
                // A list with no usable key would leave the action unreachable; `[]`
                // unbinds it on purpose.
                let kept: Vec<String> = self.keys(action).iter().map(|k| k.to_string()).collect();
                warnings.push(format!(
                    "keymap: {name} has no usable key; keeping {}",
                    kept.join(", ")
                ));
                continue;
            }
            self.bind(action, keys, warnings);
        }
    }

    /// A keymap that leaves no key to quit gets the default ones back (q, ctrl-c),
    /// taken from whatever action had them: the console must always answer.
    fn keep_a_way_out(&mut self, warnings: &mut Vec<String>) {
        if !self.keys(Action::Quit).is_empty() {
            return;
        }
        let defaults = Keymap::default();
        let keys = defaults.keys(Action::Quit).to_vec();
        let names: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        warnings.push(format!(
            "keymap: it leaves no key to quit; {} quit",
            names.join(" and ")
        ));
        self.bind(Action::Quit, keys, warnings);
    }

    /// Binds `keys` to `action`, taking each key away from any other action
    /// so that one key never means two things.
    fn bind(&mut self, action: Action, keys: Vec<KeyBinding>, warnings: &mut Vec<String>) {
        for old in self.keys.remove(&action).unwrap_or_default() {
            self.actions.remove(&old);
        }
        let mut bound = Vec::with_capacity(keys.len());
        for key in keys {
            if bound.contains(&key) {
                continue;
            }
            if let Some(other) = self.actions.insert(key, action) {
                warnings.push(format!(
                    "keymap: {key} moved from {} to {}",
                    other.name(),
                    action.name()
                ));
                if let Some(list) = self.keys.get_mut(&other) {
                    list.retain(|k| *k != key);
                }
            }
            bound.push(key);
        }
        self.keys.insert(action, bound);
    }
}

fn parse_keys(name: &str, value: &toml::Value, warnings: &mut Vec<String>) -> Vec<KeyBinding> {
    let items: Vec<&toml::Value> = match value {
        toml::Value::Array(items) => items.iter().collect(),
        // A single key is a common shorthand.
        toml::Value::String(_) => vec![value],
        _ => {
            warnings.push(format!("keymap: {name} must be a list of keys"));
            return Vec::new();
        }
    };
    items
        .into_iter()
        .filter_map(|item| match item.as_str().map(KeyBinding::parse) {
            Some(Ok(key)) => Some(key),
            Some(Err(err)) => {
                warnings.push(format!("keymap: {name}: {err}"));
                None
            }
            None => {
                warnings.push(format!("keymap: {name}: keys must be strings"));
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn press(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn default_binds_every_action_without_warnings() {
        let mut keymap = Keymap {
            keys: HashMap::new(),
            actions: HashMap::new(),
        };
        let mut warnings = Vec::new();
        keymap.apply(DEFAULT, &mut warnings);
        assert_eq!(warnings, Vec::<String>::new());
        for action in Action::ALL {
            assert!(!keymap.keys(action).is_empty(), "{}", action.name());
        }
        assert_eq!(keymap.action(&press('q')), Some(Action::Quit));
        assert_eq!(keymap.action(&press('P')), Some(Action::PromoteFull));
        assert_eq!(
            keymap.action(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
    }

    #[test]
    fn override_changes_only_named_actions() {
        let (keymap, warnings) = Keymap::load("quit = [\"x\"]\nhelp = \"h\"\n");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(keymap.action(&press('x')), Some(Action::Quit));
        assert_eq!(keymap.action(&press('q')), None);
        assert_eq!(keymap.action(&press('h')), Some(Action::Help));
        assert_eq!(keymap.action(&press('j')), Some(Action::Down));
    }

    #[test]
    fn odd_entries_become_warnings() {
        let text = "teleport = [\"t\"]\ndown = [\"j\", \"hyper-j\", 3]\nup = 5\n";
        let (keymap, warnings) = Keymap::load(text);
        assert_eq!(
            warnings,
            [
                "keymap: down: unknown key \"hyper-j\"",
                "keymap: down: keys must be strings",
                "keymap: unknown action \"teleport\"",
                "keymap: up must be a list of keys",
                "keymap: up has no usable key; keeping up, k",
            ]
        );
        assert_eq!(keymap.action(&press('j')), Some(Action::Down));
        // `up = 5` names no key: up keeps its own.
        assert_eq!(keymap.action(&press('k')), Some(Action::Up));
    }

    #[test]
    fn an_unknown_key_keeps_the_action_reachable() {
        // Before, this left nothing to quit with: not q, not ctrl-c.
        let (keymap, warnings) = Keymap::load("quit = [\"hyper-q\"]\n");
        assert_eq!(keymap.action(&press('q')), Some(Action::Quit));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(keymap.action(&ctrl_c), Some(Action::Quit));
        assert_eq!(
            warnings,
            [
                "keymap: quit: unknown key \"hyper-q\"",
                "keymap: quit has no usable key; keeping q, ctrl-c"
            ]
        );
        // One usable key of several is the action's.
        let (keymap, _) = Keymap::load("quit = [\"x\", \"hyper-q\"]\n");
        assert_eq!(keymap.action(&press('x')), Some(Action::Quit));
        assert_eq!(keymap.action(&press('q')), None);
    }

    #[test]
    fn a_keymap_that_leaves_no_way_to_quit_gives_q_and_ctrl_c_back() {
        let (keymap, warnings) = Keymap::load("help = [\"q\", \"ctrl-c\"]\n");
        assert_eq!(keymap.action(&press('q')), Some(Action::Quit));
        assert!(
            warnings.iter().any(|w| w.contains("leaves no key to quit")),
            "{warnings:?}"
        );
    }

    #[test]
    fn stolen_key_leaves_its_old_action() {
        let (keymap, warnings) = Keymap::load("promote = [\"q\"]\n");
        assert_eq!(
            warnings,
            vec!["keymap: q moved from quit to promote".to_string()]
        );
        assert_eq!(keymap.action(&press('q')), Some(Action::Promote));
        assert_eq!(keymap.keys(Action::Quit).len(), 1);
    }

    #[test]
    fn broken_file_keeps_the_default() {
        let (keymap, warnings) = Keymap::load("quit = [");
        assert_eq!(warnings.len(), 1);
        assert_eq!(keymap.action(&press('q')), Some(Action::Quit));
    }
}
