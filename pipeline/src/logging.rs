//! Where events go: people read lines, batch jobs read JSON.
//!
//! Every stage start and end, every partition finished, every damaged record and every
//! heartbeat is a `tracing` event with an `event` field naming it (`stage_started`,
//! `stage_finished`, `partition_done`, `heartbeat`, ...). Events with the [`CONSOLE`]
//! target are the lines a person always sees (a stage's summary, the heartbeat, where the
//! run and report are): in the human format they are printed as `{stage:>10}  {message}`
//! whatever `CURATE_LOG` says; other events follow `CURATE_LOG` (default `warn`), printed
//! without colour when stderr is not a terminal. With `--log-format json` every event is
//! one JSON object per line on stderr (default level `info`), with stable fields:
//! `timestamp`, `level`, `target`, `event`, `stage` (from the event or the stage span it
//! runs in), `message`, then the event's own fields.

use std::fmt;
use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{LevelFilter, filter_fn};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The target of the events a person always sees.
pub const CONSOLE: &str = "curate::console";

/// The environment variable with the log filter (`info`, `debug`, `curate=debug`, ...).
pub const LOG_ENV: &str = "CURATE_LOG";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for people: stage summaries, heartbeats, warnings.
    #[default]
    Human,
    /// One JSON object per line on stderr, for batch jobs and log collectors.
    Json,
}

fn env_filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(default))
}

/// Installs the subscriber for the whole process.
pub fn init(format: LogFormat) {
    let result = match format {
        LogFormat::Human => {
            let plain = tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false)
                .without_time()
                .with_ansi(std::io::stderr().is_terminal())
                .with_filter(env_filter("warn"))
                .with_filter(filter_fn(|meta| meta.target() != CONSOLE));
            let console = ConsoleLayer.with_filter(filter_fn(|meta| meta.target() == CONSOLE));
            tracing_subscriber::registry()
                .with(plain)
                .with(console)
                .try_init()
        }
        LogFormat::Json => {
            let filter = env_filter("info").add_directive(
                format!("{CONSOLE}=info")
                    .parse()
                    .unwrap_or_else(|_| LevelFilter::INFO.into()),
            );
            tracing_subscriber::registry()
                .with(JsonLayer.with_filter(filter))
                .try_init()
        }
    };
    // A subscriber already installed (tests calling twice) keeps the first one.
    drop(result);
}

/// The fields of an event or span as JSON values; the message under `message`.
#[derive(Default)]
struct JsonFields(Map<String, Value>);

impl Visit for JsonFields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Value::from(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().to_owned(), Value::from(value.to_string()));
    }
}

/// Writes one JSON object per event.
struct JsonLayer;

impl<S> Layer<S> for JsonLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = JsonFields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<JsonFields>()
        {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut inherited = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<JsonFields>() {
                    inherited.extend(fields.0.clone());
                }
            }
        }
        let mut own = JsonFields::default();
        event.record(&mut own);
        let mut line = Map::new();
        line.insert("timestamp".into(), Value::from(crate::timestamp::now()));
        line.insert(
            "level".into(),
            Value::from(meta.level().as_str().to_ascii_lowercase()),
        );
        line.insert("target".into(), Value::from(meta.target()));
        let mut fields = inherited;
        fields.extend(own.0);
        let event_name = fields.remove("event").unwrap_or_else(|| Value::from("log"));
        line.insert("event".into(), event_name);
        for key in ["stage", "message"] {
            if let Some(value) = fields.remove(key) {
                line.insert(key.into(), value);
            }
        }
        line.extend(fields);
        let mut text = Value::Object(line).to_string();
        text.push('\n');
        // One write per line, so lines of concurrent workers never interleave.
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

/// Prints [`CONSOLE`] events as the summary lines people know: `{stage:>10}  {message}`.
struct ConsoleLayer;

impl<S: Subscriber> Layer<S> for ConsoleLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        let text = |key: &str| match fields.0.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let label = match text("label") {
            label if !label.is_empty() => label,
            _ => text("stage"),
        };
        let line = format!("{label:>10}  {}\n", text("message"));
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}
