//! `curate query`: SQL over a run directory with DataFusion.
//!
//! Every stage's parts are a table named after the stage (`ingest`, `filter`, `dedup`,
//! `count`, ...), dropped documents are `rejected` (filter) and `removed` (dedup), the
//! mix's copies `selection`, the shard list `shards`; `drops` unites every stage's dropped
//! ids with their stage, step and reason. Tables are read lazily and only in the columns a
//! query names, so `text` and `input_ids` cost nothing unless asked for. Queries cannot
//! change the run: DDL and DML (`CREATE`, `INSERT`, `COPY`) are refused.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use datafusion::arrow::array::{RecordBatch, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::context::{SQLOptions, SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;

use crate::report::tables::{RunTable, TableKind, TableSource, run_tables};
use crate::stages::shard::manifest::Manifest;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header line.
    Csv,
    /// A JSON array of objects, one per row.
    Json,
    /// A Parquet file (needs `-o`).
    Parquet,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The run directory (`runs/<job>`, or `s3://bucket/runs/<job>`, read from a local
    /// working copy).
    pub run: PathBuf,
    /// The SQL query, e.g. "SELECT domain, sum(token_count) FROM count GROUP BY domain".
    /// `SHOW TABLES` lists the tables, `DESCRIBE count` a table's columns.
    pub sql: String,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the result to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: QueryArgs) -> Result<()> {
    if args.format == OutputFormat::Parquet && args.output.is_none() {
        bail!("--format parquet writes a file: name it with -o FILE");
    }
    let (run, _mirror) = crate::storage::run_mirror::open_run(
        &args.run,
        crate::storage::run_mirror::PullScope::AllButShardData,
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("cannot start the query runtime")?;
    let (schema, batches) = runtime.block_on(query(&run, &args.sql))?;
    let mut out: Box<dyn Write + Send> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    write_result(args.format, schema, &batches, &mut out)?;
    out.flush().context("cannot write the result")?;
    Ok(())
}

/// Runs one SQL query over the run's tables; returns the result's schema and rows.
pub async fn query(run_dir: &Path, sql: &str) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let tables = run_tables(run_dir)?;
    if tables.is_empty() {
        bail!(
            "{} holds no tables: is it a run directory?",
            run_dir.display()
        );
    }
    let config = SessionConfig::new().with_information_schema(true);
    let context = SessionContext::new_with_config(config);
    for table in &tables {
        register(&context, table)
            .await
            .with_context(|| format!("cannot open table {}", table.name))?;
    }
    register_drops_view(&context, &tables).await?;
    check_tables(&context, sql)?;
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false);
    let frame = context.sql_with_options(sql, options).await?;
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await?;
    Ok((schema, batches))
}

async fn register(context: &SessionContext, table: &RunTable) -> Result<()> {
    match &table.source {
        TableSource::Parquet(files) => {
            let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
                .with_file_extension(".parquet");
            let urls: Vec<ListingTableUrl> =
                files.iter().map(|f| file_url(f)).collect::<Result<_>>()?;
            // Parts of one stage may differ in optional columns: the table has them all.
            let state = context.state();
            let mut schemas = Vec::with_capacity(urls.len());
            for url in &urls {
                schemas.push(options.infer_schema(&state, url).await?.as_ref().clone());
            }
            let schema = Schema::try_merge(schemas)?;
            let config = ListingTableConfig::new_with_multi_paths(urls)
                .with_listing_options(options)
                .with_schema(Arc::new(schema));
            context.register_table(
                table.name.as_str(),
                Arc::new(ListingTable::try_new(config)?),
            )?;
        }
        TableSource::ShardManifest(shards_dir) => {
            let entries = Manifest::read(shards_dir)?.shards;
            let schema = Arc::new(Schema::new(vec![
                Field::new("file", DataType::Utf8, false),
                Field::new("sequences", DataType::UInt64, false),
                Field::new("tokens", DataType::UInt64, false),
                Field::new("bytes", DataType::UInt64, false),
                Field::new("xxh3", DataType::Utf8, false),
            ]));
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringArray::from_iter_values(
                        entries.iter().map(|e| e.file.as_str()),
                    )),
                    Arc::new(UInt64Array::from_iter_values(
                        entries.iter().map(|e| e.sequences),
                    )),
                    Arc::new(UInt64Array::from_iter_values(
                        entries.iter().map(|e| e.tokens),
                    )),
                    Arc::new(UInt64Array::from_iter_values(
                        entries.iter().map(|e| e.bytes),
                    )),
                    Arc::new(StringArray::from_iter_values(
                        entries.iter().map(|e| e.xxh3.as_str()),
                    )),
                ],
            )?;
            let memory = MemTable::try_new(schema, vec![vec![batch]])?;
            context.register_table(table.name.as_str(), Arc::new(memory))?;
        }
    }
    Ok(())
}

/// `drops`: the dropped ids of every stage with `id`, `source`, `domain`, `stage`, `step`
/// (the `filter` column where stored), `reason`, and, for the filter stage, the `profile`
/// the source ran and the `evidence` (the dropping filter's signals, as JSON).
async fn register_drops_view(context: &SessionContext, tables: &[RunTable]) -> Result<()> {
    let mut selects = Vec::new();
    for table in tables.iter().filter(|t| t.kind == TableKind::Dropped) {
        let provider = context.table_provider(table.name.as_str()).await?;
        let schema = provider.schema();
        let has = |name: &str| schema.column_with_name(name).is_some();
        if !["id", "source", "domain", "reason"].iter().all(|c| has(c)) {
            continue;
        }
        let column = |name: &str| {
            if has(name) {
                format!("CAST({name} AS VARCHAR)")
            } else {
                "CAST(NULL AS VARCHAR)".to_owned()
            }
        };
        let (step, profile, evidence) = (column("filter"), column("profile"), column("evidence"));
        selects.push(format!(
            "SELECT CAST(id AS VARCHAR) AS id, CAST(source AS VARCHAR) AS source, \
             CAST(domain AS VARCHAR) AS domain, '{}' AS stage, {step} AS step, \
             CAST(reason AS VARCHAR) AS reason, {profile} AS profile, {evidence} AS evidence \
             FROM {}",
            table.stage.replace('\'', "''"),
            table.name
        ));
    }
    if selects.is_empty() || tables.iter().any(|t| t.name == "drops") {
        return Ok(());
    }
    let view = context.sql(&selects.join(" UNION ALL ")).await?;
    context.register_table("drops", view.into_view())?;
    Ok(())
}

/// The listing URL of one Parquet file: a `file://` URL with every byte outside the
/// unreserved set percent-encoded, because a plain path is read as a glob (a run directory
/// named `runs/[test]` or `a*b` would match nothing, or other files).
fn file_url(file: &Path) -> Result<ListingTableUrl> {
    let absolute =
        std::path::absolute(file).with_context(|| format!("cannot resolve {}", file.display()))?;
    let mut url = String::from("file://");
    for &byte in absolute.as_os_str().as_encoded_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            url.push(byte as char);
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    Ok(ListingTableUrl::parse(&url)?)
}

/// Fails when the query would change something (`CREATE`, `INSERT`, `DROP`, `COPY`, ...):
/// the run is read-only. Said before the table check, which would call the table a
/// `CREATE TABLE` names unknown.
fn check_read_only(statement: &DfStatement) -> Result<()> {
    let read_only = match statement {
        DfStatement::Statement(statement) => matches!(
            **statement,
            SqlStatement::Query(_)
                | SqlStatement::Explain { .. }
                | SqlStatement::ExplainTable { .. }
                | SqlStatement::ShowTables { .. }
                | SqlStatement::ShowColumns { .. }
                | SqlStatement::ShowVariable { .. }
                | SqlStatement::ShowFunctions { .. }
        ),
        DfStatement::Explain(_) => true,
        _ => false,
    };
    if !read_only {
        bail!(
            "the run is read-only (DDL not supported, nor DML): `curate query` runs SELECT, \
             SHOW, DESCRIBE and EXPLAIN, not CREATE, DROP, INSERT or COPY"
        );
    }
    Ok(())
}

/// Fails with the list of tables when the query names one the run does not have.
fn check_tables(context: &SessionContext, sql: &str) -> Result<()> {
    let state = context.state();
    let dialect = state.config().options().sql_parser.dialect;
    let statement = state.sql_to_statement(sql, &dialect)?;
    check_read_only(&statement)?;
    for reference in state.resolve_table_references(&statement)? {
        if !context.table_exist(reference.clone())? {
            bail!(
                "unknown table `{reference}`; the run has: {}",
                available(context)?.join(", ")
            );
        }
    }
    Ok(())
}

/// The run's tables, by name.
fn available(context: &SessionContext) -> Result<Vec<String>> {
    let mut names: Vec<String> = context
        .catalog("datafusion")
        .and_then(|c| c.schema("public"))
        .map(|s| s.table_names())
        .unwrap_or_default();
    names.sort();
    Ok(names)
}

fn write_result(
    format: OutputFormat,
    schema: SchemaRef,
    batches: &[RecordBatch],
    out: &mut (dyn Write + Send),
) -> Result<()> {
    match format {
        OutputFormat::Table => {
            let empty;
            let shown: &[RecordBatch] = if batches.is_empty() {
                empty = [RecordBatch::new_empty(schema)];
                &empty
            } else {
                batches
            };
            let table = datafusion::arrow::util::pretty::pretty_format_batches(shown)?;
            writeln!(out, "{table}")?;
        }
        OutputFormat::Csv => {
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            if batches.is_empty() {
                writer.write(&RecordBatch::new_empty(schema))?;
            }
            for batch in batches {
                writer.write(batch)?;
            }
        }
        OutputFormat::Json => {
            let mut writer = datafusion::arrow::json::ArrayWriter::new(out);
            for batch in batches {
                writer.write(batch)?;
            }
            writer.finish()?;
        }
        OutputFormat::Parquet => {
            let mut writer = parquet::arrow::ArrowWriter::try_new(out, schema, None)?;
            for batch in batches {
                writer.write(batch)?;
            }
            writer.close()?;
        }
    }
    Ok(())
}
