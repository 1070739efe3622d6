using System.Text;
using System.Text.Json;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Serving;
using Distillery.Storage;

namespace Distillery.Tests.Serving;

[Collection(ServingRunCollection.Name)]
public class ForecasterTests(ServingRunFixture run)
{
    private static readonly string[] ExpectedDates = Enumerable.Range(0, 14)
        .Select(d => new DateOnly(2021, 2, 9).AddDays(d).ToString("yyyy-MM-dd")).ToArray();

    private Task<Forecaster> Load(ModelKind kind) => Forecaster.LoadAsync(run.Store, ServingRunFixture.RunId, kind, default);

    private static void AssertClose(double[] expected, IReadOnlyList<ForecastDay> actual)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i].Value - expected[i]) <= 1e-6 * Math.Max(Math.Abs(expected[i]), 1e-9),
                $"day {i}: {actual[i].Value} vs {expected[i]}");
    }

    private static List<IReadOnlyDictionary<string, string>> With(IEnumerable<IReadOnlyDictionary<string, string>> rows,
        Action<int, Dictionary<string, string>> change) =>
        rows.Select((r, i) => { var d = r.ToDictionary(); change(i, d); return (IReadOnlyDictionary<string, string>)d; }).ToList();

    [Fact]
    public async Task Student_forecast_from_raw_rows_equals_the_stored_student_on_the_stored_scaled_rows()
    {
        Assert.Equal(405, run.Meta.Rows);
        Assert.Equal("2021-01-30", run.Meta.Dates[395]);
        Assert.Equal(run.Meta.Dates.TakeLast(10), run.Last(10).Select(r => r["date"]));
        using var forecaster = await Load(ModelKind.Student);
        Assert.Equal(Forecaster.ChampionFold(run.Results), forecaster.Fold);
        Assert.Equal((ModelKind.Student, ServingRunFixture.RunId, 10, 14, 523, "new_hospitalized_patients"),
            (forecaster.Kind, forecaster.RunId, forecaster.InputDays, forecaster.OutputDays, forecaster.Features.Count, forecaster.Target));

        var forecast = forecaster.Predict(run.Last(10));

        Assert.Equal(("student", ServingRunFixture.RunId, forecaster.Fold), (forecast.Model, forecast.RunId, forecast.Fold));
        Assert.Equal(ExpectedDates, forecast.Days.Select(d => d.Date));
        AssertClose(await run.DirectAsync(ModelKind.Student, forecaster.Fold, 395), forecast.Days);
        // Sigmoid outputs unscale into the target's observed range (patients/day).
        var t = run.Meta.TargetIndex;
        Assert.All(forecast.Days, d => Assert.InRange(d.Value, run.Meta.Min[t], run.Meta.Max[t]));
    }

    [Fact]
    public async Task Teacher_forecast_equals_the_stored_best_teacher_on_the_stored_scaled_rows()
    {
        using var forecaster = await Load(ModelKind.Teacher);
        Assert.Equal(run.Results.BestTeacherFold, forecaster.Fold);
        var forecast = forecaster.Predict(run.Last(10));
        Assert.Equal("teacher", forecast.Model);
        Assert.Equal(ExpectedDates, forecast.Days.Select(d => d.Date));
        AssertClose(await run.DirectAsync(ModelKind.Teacher, run.Results.BestTeacherFold, 395), forecast.Days);
    }

    [Fact]
    public async Task Uses_the_last_rows_by_date_whatever_the_order_and_ignores_extra_columns()
    {
        using var forecaster = await Load(ModelKind.Student);
        var expected = forecaster.Predict(run.Last(10)).Days.Select(d => d.Value).ToArray();

        var all = run.UsFlRows.Reverse().ToList(); // 405 rows, newest first
        AssertClose(expected, forecaster.Predict(all).Days);

        var extra = With(run.Last(10), (_, r) => { r["not_a_feature"] = "abc"; r["another"] = ""; });
        AssertClose(expected, forecaster.Predict(extra).Days);

        // An earlier window: rows 0..9 end 2020-01-10.
        var early = forecaster.Predict(run.UsFlRows.Take(10).ToList());
        Assert.Equal("2020-01-11", early.Days[0].Date);
        AssertClose(await run.DirectAsync(ModelKind.Student, forecaster.Fold, 0), early.Days);
    }

    [Fact]
    public async Task Bad_rows_are_named()
    {
        using var forecaster = await Load(ModelKind.Student);
        var last = run.Last(10);

        var e = Assert.Throws<InvalidInputException>(() => forecaster.Predict(last.Take(9).ToList()));
        Assert.Equal("needs the last 10 days of input, got 9 rows", e.Message);

        e = Assert.Throws<InvalidInputException>(() => forecaster.Predict(With(last, (_, r) => r.Remove("new_hospitalized_patients"))));
        Assert.Contains("missing 1 feature column: new_hospitalized_patients", e.Message);

        var fifteen = forecaster.Features.Take(15).ToArray();
        e = Assert.Throws<InvalidInputException>(() => forecaster.Predict(With(last, (_, r) => { foreach (var f in fifteen) r.Remove(f); })));
        Assert.Contains("missing 15 feature columns: " + string.Join(", ", fifteen.Take(10)) + ", ... (15 in all)", e.Message);

        e = Assert.Throws<InvalidInputException>(() => forecaster.Predict(With(last, (i, r) => { if (i == 4) r["new_confirmed"] = "12x"; })));
        Assert.Contains("column 'new_confirmed' on 2021-02-03: value '12x' is not a number", e.Message);

        foreach (var bad in new[] { "NaN", "Infinity", "-1e999" })
        {
            e = Assert.Throws<InvalidInputException>(() => forecaster.Predict(With(last, (i, r) => { if (i == 9) r["new_hospitalized_patients"] = bad; })));
            Assert.Contains($"column 'new_hospitalized_patients' on 2021-02-08: value '{bad}' is not a finite number", e.Message);
        }

        e = Assert.Throws<InvalidInputException>(() => forecaster.Predict(With(last, (i, r) => { if (i == 2) r["date"] = "2021/02/01"; })));
        Assert.Contains("invalid date (expected yyyy-MM-dd): '2021/02/01' (row 3)", e.Message);

        e = Assert.Throws<InvalidInputException>(() => forecaster.Predict(With(last, (i, r) => { if (i == 2) r.Remove("date"); })));
        Assert.Contains("row 3 has no 'date'", e.Message);

        e = Assert.Throws<InvalidInputException>(() => forecaster.Predict(With(last, (i, r) => { if (i == 5) r["date"] = "2021-01-31"; })));
        Assert.Contains("duplicate date: 2021-01-31 (rows 2 and 6)", e.Message);
    }

    [Fact]
    public async Task Empty_cells_are_zero_before_scaling_as_in_the_cleaning()
    {
        using var forecaster = await Load(ModelKind.Student);
        var f = forecaster.Features;
        // Pick a feature whose last-row value is non-zero; blanking it must equal writing 0.
        var name = f.First(n => run.Last(1)[0][n] is { Length: > 0 } v && v != "0");
        var blank = forecaster.Predict(With(run.Last(10), (i, r) => { if (i == 9) r[name] = ""; }));
        var zero = forecaster.Predict(With(run.Last(10), (i, r) => { if (i == 9) r[name] = "0"; }));
        Assert.Equal(zero.Days, blank.Days);
    }

    [Fact]
    public async Task Fnn_is_not_served_and_a_missing_run_is_named()
    {
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => Load(ModelKind.Fnn));
        Assert.Equal("model must be student or teacher", e.Message);
        Assert.Throws<InvalidInputException>(() => Forecaster.ParseKind("fnn"));
        Assert.Equal(ModelKind.Teacher, Forecaster.ParseKind("Teacher"));
        var missing = await Assert.ThrowsAsync<RunNotFoundException>(() => Forecaster.LoadAsync(run.Store, "no-such-run", ModelKind.Student, default));
        Assert.Contains("no-such-run", missing.Message);
        await Assert.ThrowsAsync<InvalidInputException>(() => Forecaster.LoadAsync(run.Store, "../x", ModelKind.Student, default));
    }

    [Fact]
    public void Champion_fold_is_the_lowest_final_student_loss_against_truth_with_ties_to_the_lower_fold()
    {
        FoldResult Fold(int fold, params double[] vsTruth)
        {
            var template = run.Results.Folds[0];
            return template.With(ModelKind.Student, template[ModelKind.Student] with { TestVsTruth = vsTruth }) with { Fold = fold };
        }
        Assert.Equal(2, Forecaster.ChampionFold(run.Results with { Folds = [Fold(1, 0.1, 5), Fold(2, 9, 3), Fold(3, 0.1, 4)] }));
        Assert.Equal(1, Forecaster.ChampionFold(run.Results with { Folds = [Fold(3, 2), Fold(1, 2), Fold(2, double.NaN)] }));
        var expected = run.Results.Folds.OrderBy(f => f[ModelKind.Student].TestVsTruth![^1]).ThenBy(f => f.Fold).First().Fold;
        Assert.Equal(expected, Forecaster.ChampionFold(run.Results));
    }

    [Fact]
    public async Task Forecast_json_has_the_documented_shape()
    {
        using var forecaster = await Load(ModelKind.Student);
        var forecast = forecaster.Predict(run.Last(10));
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(forecast, ArtifactStoreJson.Options));
        var root = json.RootElement;
        Assert.Equal(["model", "runId", "fold", "forecast", "skill"], root.EnumerateObject().Select(p => p.Name));
        var skill = root.GetProperty("skill");
        Assert.Equal(run.Results.TruthOf(ModelKind.Student).Mase.Mean, skill.GetProperty("mase").GetDouble());
        Assert.Equal(run.Results.Protocol, skill.GetProperty("protocol").GetString());
        Assert.Equal("student", root.GetProperty("model").GetString());
        Assert.Equal(forecaster.Fold, root.GetProperty("fold").GetInt32());
        var days = root.GetProperty("forecast").EnumerateArray().ToList();
        Assert.Equal(14, days.Count);
        Assert.Equal(["date", "value"], days[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(forecast.Days[0].Value, days[0].GetProperty("value").GetDouble());
        var back = JsonSerializer.Deserialize<Forecast>(JsonSerializer.Serialize(forecast, ArtifactStoreJson.Options), ArtifactStoreJson.Options)!;
        Assert.Equal(forecast.Days, back.Days);
    }

    [Fact]
    public async Task Rows_from_csv_and_json_give_the_same_forecast_as_dictionaries()
    {
        using var forecaster = await Load(ModelKind.Student);
        var expected = forecaster.Predict(run.Last(10)).Days;

        var lines = File.ReadAllLines(RepoPaths.UsFl);
        var csv = string.Join('\n', lines.Take(1).Concat(lines.TakeLast(12)));
        using (var stream = new MemoryStream(Encoding.UTF8.GetBytes(csv)))
            Assert.Equal(expected, forecaster.Predict(Forecaster.RowsFromCsv(stream, 1 << 20)).Days);
        using (var stream = new MemoryStream(Encoding.UTF8.GetBytes(csv)))
            Assert.Contains("limit", Assert.Throws<InvalidInputException>(() => Forecaster.RowsFromCsv(stream, 1000)).Message);

        // JSON: numbers as numbers, empty cells as null, everything else as strings.
        var objects = run.Last(10).Select(r => r.ToDictionary(kv => kv.Key, kv => (object?)(
            kv.Value.Length == 0 ? null
            : double.TryParse(kv.Value, System.Globalization.CultureInfo.InvariantCulture, out var x) && double.IsFinite(x) ? JsonDocument.Parse(kv.Value).RootElement.Clone()
            : kv.Value)));
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(objects));
        var rows = Forecaster.RowsFromJson(json.RootElement);
        Assert.Equal(expected, forecaster.Predict(rows).Days);
        Assert.Equal("", rows[0]["subregion2_code"]);
    }

    [Theory]
    [InlineData("{}", "input must be a JSON array of objects (one per day), got an object")]
    [InlineData("[1]", "input[0] must be an object (column → value), got a number")]
    [InlineData("[{\"date\":\"2021-01-01\"},[]]", "input[1] must be an object (column → value), got an array")]
    [InlineData("[{\"a\":true}]", "input[0].a must be a number, a string or null, got a boolean")]
    [InlineData("[{\"a\":{}}]", "input[0].a must be a number, a string or null, got an object")]
    [InlineData("[{\"a\":1,\"a\":2}]", "input[0] has the property 'a' twice")]
    public void Rows_from_json_name_a_bad_shape(string text, string message)
    {
        using var json = JsonDocument.Parse(text);
        Assert.Equal(message, Assert.Throws<InvalidInputException>(() => Forecaster.RowsFromJson(json.RootElement)).Message);
    }

    [Fact]
    public void Rows_from_json_keep_number_text_and_map_null_to_empty()
    {
        using var json = JsonDocument.Parse("""[{"date":"2021-01-01","a":1.5e3,"b":null,"c":"7"}]""");
        var row = Assert.Single(Forecaster.RowsFromJson(json.RootElement));
        Assert.Equal(["2021-01-01", "1.5e3", "", "7"], new[] { row["date"], row["a"], row["b"], row["c"] });
    }

    [Fact]
    public async Task Concurrent_predictions_on_one_instance_agree()
    {
        using var forecaster = await Load(ModelKind.Teacher);
        var expected = forecaster.Predict(run.Last(10)).Days;
        var windows = Enumerable.Range(0, 64).Select(i => run.UsFlRows.Skip(i % 8 == 0 ? 0 : 395 - i).Take(i % 8 == 0 ? 405 : 10 + i).ToList()).ToList();
        var results = await Task.WhenAll(windows.Select(w => Task.Run(() => forecaster.Predict(w).Days)));
        Assert.All(results, r => Assert.Equal(expected, r));
        forecaster.Dispose();
        Assert.Throws<ObjectDisposedException>(() => forecaster.Predict(run.Last(10)));
    }

    [Fact]
    public void Persistence_repeats_the_last_days_target_after_the_last_input_date()
    {
        // Shuffled, with an earlier extra day: the last day by date counts, not the last row.
        var rows = With(run.Last(11), (i, r) => { if (i == 10) r[run.Meta.Target] = "123.5"; }).AsEnumerable().Reverse().ToList();
        var days = Forecaster.Persistence(run.Meta, rows);
        Assert.Equal(ExpectedDates, days.Select(d => d.Date));
        Assert.All(days, d => Assert.Equal(123.5, d.Value));
        // US_FL's last day has no target yet: an empty cell is 0, as in the cleaning and the evaluated persistence.
        Assert.All(Forecaster.Persistence(run.Meta, run.Last(10)), d => Assert.Equal(0, d.Value));
        Assert.Equal(run.Meta.OutputDays, days.Count);
    }

    [Fact]
    public async Task Persistence_refuses_bad_rows_with_the_models_messages()
    {
        using var forecaster = await Load(ModelKind.Student);
        var last = run.Last(10);
        var bad = new[]
        {
            last.Take(9).ToList(),
            With(last, (_, r) => r.Remove("new_confirmed")),
            With(last, (i, r) => { if (i == 4) r["new_confirmed"] = "12x"; }),
            With(last, (i, r) => { if (i == 9) r["new_hospitalized_patients"] = "NaN"; }),
            With(last, (i, r) => { if (i == 2) r["date"] = "2021/02/01"; }),
            With(last, (i, r) => { if (i == 5) r["date"] = "2021-01-31"; }),
        };
        foreach (var rows in bad)
            Assert.Equal(Assert.Throws<InvalidInputException>(() => forecaster.Predict(rows)).Message,
                Assert.Throws<InvalidInputException>(() => Forecaster.Persistence(run.Meta, rows)).Message);
    }
}
