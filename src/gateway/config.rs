//! `dccsim serve --config FILE`: the head-end's settings in a TOML file, each named as its
//! command-line flag (`listen`, `premises`, `schedule-spread`…) and each users' Receive Response
//! Service in a `[receive]` table. A flag given on the command line wins over the file, and the
//! file over the embedded default; paths in the file are taken from the file's own folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::Eui64;

/// What a configuration file may set. Every key is optional; an unknown key is an error (a
/// typo must not silently fall back to the default).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServeConfig {
    pub state: Option<PathBuf>,
    pub listen: Option<String>,
    pub plain: Option<String>,
    pub premises: Option<u32>,
    pub seed: Option<u64>,
    /// Each user's Receive Response Service: `"EUI-64" = "URL"`.
    #[serde(default)]
    pub receive: BTreeMap<String, String>,
    pub receive_ca: Option<PathBuf>,
    pub schedule_spread: Option<f64>,
    pub zero_wan: Option<bool>,
    pub wan_loss: Option<f64>,
    pub wan: Option<PathBuf>,
    pub sign_acknowledgements: Option<bool>,
    pub outages_per_year: Option<f64>,
}

impl ServeConfig {
    /// Reads a configuration file: an error names the file, and the line and key at fault.
    pub fn load(path: &Path) -> Result<ServeConfig, String> {
        let at = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{at}: cannot read: {e}"))?;
        let mut config: ServeConfig = toml::from_str(&text).map_err(|e| format!("{at}: {e}"))?;
        for (user, url) in &config.receive {
            user.parse::<Eui64>()
                .map_err(|e| format!("{at}: [receive] {user:?}: not a user's EUI-64: {e}"))?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "{at}: [receive] {user}: {url:?} is not an http:// or https:// URL"
                ));
            }
        }
        if let Some(p) = config.wan_loss
            && !(0.0..=1.0).contains(&p)
        {
            return Err(format!("{at}: wan-loss {p}: a probability, 0 to 1"));
        }
        if let Some(rate) = config.outages_per_year
            && !(rate.is_finite() && rate >= 0.0)
        {
            return Err(format!("{at}: outages-per-year {rate}: a rate, 0 or more"));
        }
        if let Some(secs) = config.schedule_spread
            && !(secs.is_finite() && secs >= 0.0)
        {
            return Err(format!(
                "{at}: schedule-spread {secs}: a number of seconds, 0 or more"
            ));
        }
        if config.zero_wan == Some(true) && (config.wan_loss.is_some() || config.wan.is_some()) {
            return Err(format!(
                "{at}: zero-wan cannot go with wan-loss or wan: the WAN is one of the three"
            ));
        }
        if config.wan_loss.is_some() && config.wan.is_some() {
            return Err(format!(
                "{at}: wan-loss is the default WAN's; it cannot go with a scenario's (wan)"
            ));
        }
        let base = path.parent().unwrap_or(Path::new(""));
        for p in [&mut config.state, &mut config.receive_ca, &mut config.wan]
            .into_iter()
            .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(config)
    }

    /// The `[receive]` table as the command line writes it, `EUI=URL`.
    pub fn receive_flags(&self) -> Vec<String> {
        self.receive
            .iter()
            .map(|(user, url)| format!("{user}={url}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<ServeConfig, String> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("dccsim-config-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("serve.toml");
        std::fs::write(&path, text).unwrap();
        let loaded = ServeConfig::load(&path);
        let _ = std::fs::remove_dir_all(&dir);
        loaded.map(|mut c| {
            // Paths come back under the file's folder.
            for p in [&mut c.state, &mut c.wan].into_iter().flatten() {
                *p = p.strip_prefix(&dir).unwrap().to_path_buf();
            }
            c
        })
    }

    #[test]
    fn a_file_sets_what_the_flags_set() {
        let c = load(
            "listen = \"127.0.0.1:9443\"\npremises = 500\nstate = \"st\"\nwan = \"gb.toml\"\n\
             sign-acknowledgements = true\noutages-per-year = 12.5\n\
             [receive]\n\"90-B3-D5-1F-30-01-00-00\" = \"https://localhost:8091/\"\n",
        )
        .unwrap();
        assert_eq!(c.listen.as_deref(), Some("127.0.0.1:9443"));
        assert_eq!(c.premises, Some(500));
        assert_eq!(c.state, Some(PathBuf::from("st")));
        assert_eq!(c.wan, Some(PathBuf::from("gb.toml")));
        assert_eq!(c.sign_acknowledgements, Some(true));
        assert_eq!(c.outages_per_year, Some(12.5));
        assert_eq!(
            c.receive_flags(),
            ["90-B3-D5-1F-30-01-00-00=https://localhost:8091/"]
        );
        assert_eq!(load("").unwrap(), ServeConfig::default());
    }

    #[test]
    fn the_example_file_loads_and_its_paths_exist() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/serve.toml");
        let c = ServeConfig::load(&path).unwrap();
        assert!(c.wan.unwrap().exists());
        assert_eq!(c.receive.len(), 2);
        assert_eq!(c.premises, Some(10_000));
    }

    #[test]
    fn mistakes_are_named_with_their_line() {
        for (text, says) in [
            ("premises = 5\npremisses = 6\n", "line 2"),
            ("premises = 5\npremisses = 6\n", "unknown field `premisses`"),
            ("premises = \"many\"\n", "line 1"),
            (
                "[receive]\n\"supplier\" = \"http://x/\"\n",
                "\"supplier\": not a user's EUI-64",
            ),
            (
                "[receive]\n\"90-B3-D5-1F-30-01-00-00\" = \"ftp://x/\"\n",
                "not an http:// or https:// URL",
            ),
            (
                "zero-wan = true\nwan-loss = 0.1\n",
                "zero-wan cannot go with",
            ),
            (
                "wan-loss = 0.1\nwan = \"x.toml\"\n",
                "cannot go with a scenario's",
            ),
            ("wan-loss = 1.5\n", "wan-loss 1.5: a probability"),
            (
                "schedule-spread = -1.0\n",
                "schedule-spread -1: a number of seconds",
            ),
            ("outages-per-year = -2.0\n", "outages-per-year -2: a rate"),
        ] {
            let e = load(text).unwrap_err();
            assert!(e.contains(says), "{text:?}: {e}");
        }
    }
}
