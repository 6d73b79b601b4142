//! Keys: which action each key stands for, from the default keymap and a
//! user's partial override of it.

mod action;
mod key;
mod keymap;

pub use action::{Action, Group};
pub use key::KeyBinding;
pub use keymap::Keymap;
