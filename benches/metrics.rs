//! Health at scale: 1,000 releases (2,000 versions), 250 on each traffic source.
//! Building a refresh's 20 queries, and turning Prometheus's answers for all of them
//! (JSON as the client crate decodes it, then keys and values per version) into the
//! snapshot's health, and into its history at 60 points per series.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use kshift::metrics::parse::{self, key_labels};
use kshift::metrics::{Health, History, Metric, Source, Templates, VersionKey};
use prometheus_http_query::response::{Data, PromqlResult};

const RELEASES_PER_SOURCE: usize = 250;
const POINTS: usize = 60;

/// The labels of one version's series, as a `sum by` over the source's key gives them.
fn labels(source: Source, release: usize, version: usize) -> String {
    let values = [
        format!("team-{}", release % 20),
        match source {
            Source::App => format!("app-{release}"),
            _ => format!("app-{release}-v{version}"),
        },
        format!("v{version}"),
    ];
    let pairs: Vec<String> = key_labels(source)
        .iter()
        .zip(&values)
        .map(|(name, value)| format!("{name:?}:{value:?}"))
        .collect();
    format!("{{{}}}", pairs.join(","))
}

/// One query's answer for every version of a source: an instant vector, or a matrix of
/// `POINTS` points per series.
fn answer(source: Source, range: bool) -> String {
    let mut series = Vec::new();
    for release in 0..RELEASES_PER_SOURCE {
        for version in 0..2 {
            let metric = labels(source, release, version);
            let value = format!("\"{}\"", 0.001 * (release + version) as f64);
            series.push(if range {
                let points: Vec<String> = (0..POINTS)
                    .map(|i| format!("[{},{value}]", 1_700_000_000 + 15 * i))
                    .collect();
                format!(r#"{{"metric":{metric},"values":[{}]}}"#, points.join(","))
            } else {
                format!(r#"{{"metric":{metric},"value":[1700000000,{value}]}}"#)
            });
        }
    }
    let kind = if range { "matrix" } else { "vector" };
    format!(
        r#"{{"resultType":"{kind}","result":[{}]}}"#,
        series.join(",")
    )
}

fn decode(json: &str) -> Data {
    let result: PromqlResult = serde_json::from_str(json).expect("a query result");
    result.into_inner().0
}

/// Each source's answer, decoded once per metric as a refresh's 20 queries are.
fn decoded(answers: &[(Source, String)]) -> Vec<(Source, Metric, Data)> {
    answers
        .iter()
        .flat_map(|(source, json)| Metric::ALL.map(|m| (*source, m, decode(json))))
        .collect()
}

fn health(answers: &[(Source, Metric, Data)]) -> BTreeMap<VersionKey, Health> {
    parse::health(answers.iter().map(|(source, metric, data)| {
        (
            *metric,
            parse::vector(*source, data).expect("a vector").values,
        )
    }))
}

fn history(answers: &[(Source, Metric, Data)]) -> BTreeMap<VersionKey, History> {
    parse::history(answers.iter().map(|(source, metric, data)| {
        (
            *metric,
            parse::matrix(*source, data).expect("a matrix").values,
        )
    }))
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("metrics");
    let templates = Templates::default();
    group.bench_function("build a refresh's 20 queries", |b| {
        b.iter(|| {
            for source in Source::ALL {
                for metric in Metric::ALL {
                    black_box(templates.render(source, metric, Duration::from_secs(60)));
                }
            }
        })
    });

    let versions = 4 * 2 * RELEASES_PER_SOURCE;
    let instant: Vec<(Source, String)> = Source::ALL.map(|s| (s, answer(s, false))).into();
    let answers = decoded(&instant);
    assert_eq!(health(&answers).len(), versions);
    group.bench_function(
        "health of 2,000 versions: decode and parse 20 answers",
        |b| b.iter(|| black_box(health(&decoded(&instant)))),
    );
    group.bench_function("health of 2,000 versions: parse 20 decoded answers", |b| {
        b.iter(|| black_box(health(&answers)))
    });

    group.sample_size(20);
    let ranges: Vec<(Source, String)> = Source::ALL.map(|s| (s, answer(s, true))).into();
    let answers = decoded(&ranges);
    assert_eq!(history(&answers).len(), versions);
    group.bench_function(
        "history of 2,000 versions x 60 points: decode and parse",
        |b| b.iter(|| black_box(history(&decoded(&ranges)))),
    );
    group.bench_function(
        "history of 2,000 versions x 60 points: parse decoded",
        |b| b.iter(|| black_box(history(&answers))),
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
