using System.Text;
using System.Text.Json;
using Distillery.Cli;
using Distillery.Data;
using Distillery.Tests.Experiments;

namespace Distillery.Tests.Cli;

/// <summary>
/// Every bad input the command line can be given, one row each: exit code 2, one line on stderr naming the problem,
/// no stack trace, and no results.json anywhere under the output folder (a failed run is never taken for a finished one).
/// </summary>
public class BadInputTests
{
    private const string Header = "date,new_hospitalized_patients,new_confirmed,temperature";

    /// <summary>A small valid file: 40 days, 16 windows of 10 + 14 days; the bad files below differ from it in one way.</summary>
    private static string[] Synthetic(int rows = 40, string header = Header) =>
    [
        header,
        .. Enumerable.Range(0, rows).Select(i =>
            $"{new DateOnly(2020, 3, 1).AddDays(i):yyyy-MM-dd},{i * 7 % 13 + i},{i * 3 % 17},{20 + i % 5}"),
    ];

    private static string[] With(int line, Func<string, string> rewrite, string[]? lines = null)
    {
        var copy = (lines ?? Synthetic()).ToArray();
        copy[line] = rewrite(copy[line]);
        return copy;
    }

    private static string SetField(string line, int field, string value)
    {
        var fields = line.Split(',');
        fields[field] = value;
        return string.Join(',', fields);
    }

    private delegate string[] Arguments(string dir);

    private static Arguments Csv(string[] lines, params string[] extra) => Bytes(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"), extra);

    private static Arguments Text(string text, params string[] extra) => Bytes(Encoding.UTF8.GetBytes(text), extra);

    private static Arguments Bytes(byte[] content, params string[] extra) => dir =>
    {
        var path = Path.Combine(dir, $"data-{Guid.NewGuid():N}.csv");
        File.WriteAllBytes(path, content);
        return ["run", "--data", path, "--folds", "2", "--epochs", "0", .. extra];
    };

    /// <summary>A valid file with bad options.</summary>
    private static Arguments Options(params string[] options) => dir =>
    {
        var path = Path.Combine(dir, "valid.csv");
        File.WriteAllLines(path, Synthetic());
        return ["run", "--data", path, .. options.Contains("--folds") ? [] : new[] { "--folds", "2" },
            .. options.Contains("--epochs") ? [] : new[] { "--epochs", "0" }, .. options];
    };

    private static Arguments Raw(params string[] args) => _ => args;

    /// <summary>name → (command line, text the one error line must contain).</summary>
    private static readonly Dictionary<string, (Arguments Args, string Named)> Cases = new()
    {
        // The file itself.
        ["csv: empty file"] = (Text(""), "the file is empty"),
        ["csv: whitespace only"] = (Text(" \n\r\n"), "the file is empty"),
        ["csv: header only"] = (Text(Header + "\n"), "header but no data rows"),
        ["csv: no date column"] = (Csv(Synthetic(header: Header.Replace("date,", "day,"))), "no 'date' column"),
        ["csv: unparseable date"] = (Csv(With(5, l => SetField(l, 0, "2020-13-45"))), "date '2020-13-45' is not a yyyy-MM-dd date"),
        ["csv: date in another format"] = (Csv(With(5, l => SetField(l, 0, "03/05/2020"))), "date '03/05/2020'"),
        ["csv: empty date"] = (Csv(With(5, l => SetField(l, 0, ""))), "date ''"),
        ["csv: duplicate dates"] = (Csv(With(9, l => SetField(l, 0, "2020-03-08"))), "duplicate date 2020-03-08"),
        ["csv: text in a numeric column"] = (Csv(With(7, l => SetField(l, 2, "lots"))), "column 'new_confirmed' is not numeric: value 'lots'"),
        ["csv: NaN"] = (Csv(With(7, l => SetField(l, 2, "NaN"))), "value 'NaN' is not a finite number"),
        ["csv: Infinity"] = (Csv(With(7, l => SetField(l, 3, "Infinity"))), "value 'Infinity' is not a finite number"),
        ["csv: -Infinity"] = (Csv(With(7, l => SetField(l, 3, "-Infinity"))), "value '-Infinity' is not a finite number"),
        ["csv: number out of range"] = (Csv(With(7, l => SetField(l, 1, "1e400"))), "value '1e400' is not a finite number"),
        ["csv: semicolon delimiter"] = (Csv(Synthetic().Select(l => l.Replace(',', ';')).ToArray()), "uses semicolons (;) as the delimiter"),
        ["csv: tab delimiter"] = (Csv(Synthetic().Select(l => l.Replace(',', '\t')).ToArray()), "uses tabs as the delimiter"),
        ["csv: row with too few fields"] = (Csv(With(6, l => l[..l.LastIndexOf(',')])), "line 7 has 3 fields but the header has 4"),
        ["csv: row with too many fields"] = (Csv(With(6, l => l + ",9")), "line 7 has 5 fields but the header has 4"),
        ["csv: unbalanced quote"] = (Csv(With(6, l => SetField(l, 2, "\"12"))), "fields but the header has 4"),
        ["csv: duplicate column name"] = (Csv(Synthetic(header: "date,new_hospitalized_patients,temperature,temperature")), "invalid CSV"),
        ["csv: binary file"] = (Bytes([.. "date,x\n"u8, 0x00, 0x01, 0x02, 0xFF, .. "\n"u8]), "not a CSV text file (binary content"),
        ["csv: invalid UTF-8"] = (Bytes([.. "date,new_hospitalized_patients\n2020-01-01,"u8, 0xC3, 0x28, .. "\n"u8]), "invalid UTF-8"),
        ["csv: over the size limit"] = (dir =>
        {
            var path = Path.Combine(dir, "huge.csv");
            using (var file = File.Create(path)) file.SetLength(RawTableReader.DefaultMaxBytes + 1); // sparse: no disk used
            return ["run", "--data", path, "--folds", "2", "--epochs", "0"];
        }, "exceeds the 256 MB limit"),
        ["csv: target missing"] = (Csv(Synthetic(header: Header.Replace("new_hospitalized_patients", "hospitalized"))), "target column 'new_hospitalized_patients' not found"),
        ["csv: target dropped by the cleaning rule (all zeros)"] = (Csv(Synthetic().Select((l, i) => i == 0 ? l : SetField(l, 1, "0")).ToArray()),
            "has only 1 distinct values and was dropped by the cleaning rule"),
        ["csv: target dropped by the cleaning rule (cumulative)"] = (Csv(Synthetic(header: Header + ",cumulative_confirmed")
            .Select((l, i) => i == 0 ? l : l + $",{i}").ToArray(), "--target", "cumulative_confirmed"), "cumulative"),
        ["csv: target is the date"] = (Csv(Synthetic(), "--target", "date"), "is the date index"),
        ["csv: too few rows for the windows"] = (Csv(Synthetic(rows: 24)), "windowing needs at least 25 rows for 10 input + 14 output days, got 24"),
        ["csv: too few windows for the folds"] = (Options("--folds", "17"), "folds must be between 2 and the number of windows (16), got 17"),

        // Where the data comes from.
        ["data: missing file"] = (dir => ["run", "--data", Path.Combine(dir, "missing.csv")], "data file not found"),
        ["data: a directory"] = (dir => ["run", "--data", dir], "is a directory"),
        ["data: http URL"] = (Raw("run", "--data", "http://storage.googleapis.com/covid19-open-data/v3/location/US_FL.csv"), "only https:// URLs are allowed"),
        ["data: host not in the allow-list"] = (Raw("run", "--data", "https://example.com/US_FL.csv"), "host 'example.com' is not allowed"),
        ["data: URL with credentials"] = (Raw("run", "--data", "https://user:pw@storage.googleapis.com/x.csv"), "credentials"),
        ["data: invalid location key"] = (Raw("run", "--location", "us_fl"), "invalid location key 'us_fl'"),
        ["data: location key with a path"] = (Raw("run", "--location", "../US_FL"), "invalid location key '../US_FL'"),
        ["data: blob path outside the store"] = (Raw("run", "--data", "blob:../secrets.csv"), "is not a clean relative path"),
        ["data: blob dataset not in the store"] = (Raw("run", "--data", "blob:datasets/US_FL/none.csv", "--folds", "2", "--epochs", "0"), "not found in"),
        ["data: --data and --location"] = (Raw("run", "--data", "x.csv", "--location", "US_FL"), "either --data or --location"),
        ["data: --data with a comma"] = (Raw("run", "--data", "a.csv,b.csv"), "--data takes one source"),

        // Settings.
        ["settings: epochs < 0"] = (Options("--epochs", "-1"), "epochs must be between 0 and 100000, got -1"),
        ["settings: epochs not a number"] = (Options("--epochs", "ten"), "--epochs"),
        ["settings: batch size 0"] = (Options("--batch-size", "0"), "batchSize must be ≥ 1, got 0"),
        ["settings: learning rate 0"] = (Options("--teacher-lr", "0"), "teacherLr must be a finite number > 0, got 0"),
        ["settings: learning rate < 0"] = (Options("--student-lr", "-1e-5"), "studentLr must be a finite number > 0"),
        ["settings: learning rate NaN"] = (Options("--student-lr", "NaN"), "studentLr must be a finite number > 0, got NaN"),
        ["settings: input days 0"] = (Options("--input-days", "0"), "inputDays must be between 1 and 365, got 0"),
        ["settings: output days 0"] = (Options("--output-days", "0"), "outputDays must be between 1 and 365, got 0"),
        ["settings: folds < 2"] = (Options("--folds", "1"), "folds must be between 2 and 100, got 1"),
        ["settings: folds > 100"] = (Options("--folds", "101"), "folds must be between 2 and 100, got 101"),
        ["settings: unknown preset"] = (Options("--preset", "turbo"), "unknown preset 'turbo'"),
        ["settings: unknown protocol"] = (Options("--protocol", "leaky"), "protocol must be one of study, leakage-free, both, got 'leaky'"),
        ["settings: alpha > 1"] = (Options("--alpha", "1.5"), "alpha must be between 0 and 1, got 1.5"),
        ["settings: alpha < 0"] = (Options("--alpha", "-0.1"), "alpha must be between 0 and 1, got -0.1"),
        ["settings: alpha NaN"] = (Options("--alpha", "NaN"), "alpha must be between 0 and 1, got NaN"),
        ["settings: threads 0"] = (Options("--threads", "0"), "threads must be between 1 and 256, got 0"),
        ["settings: student width not a number"] = (Options("--student-hidden", "8,x"), "--student-hidden must be comma-separated widths"),
        ["settings: student layers 0"] = (Options("--student-layers", "0"), "studentLayers must be between 1 and 8, got 0"),
        ["settings: seed < 0"] = (Options("--seed", "-1"), "seed must be ≥ 0, got -1"),
        ["settings: split seed < 0"] = (Options("--split-seed", "-3"), "splitSeed must be ≥ 0, got -3"),
        ["settings: parallel 0"] = (Options("--parallel", "0"), "--parallel must be ≥ 1, got 0"),
        ["settings: unknown option"] = (Options("--epocs", "3"), "--epocs"),
        ["settings: run id with a path"] = (Options("--run-id", "../escape"), "run id '../escape' is invalid"),
        ["settings: run id with an encoded slash"] = (Options("--run-id", "a%2Fb"), "run id 'a%2Fb' is invalid"),
        ["settings: run id reused with other settings"] = (dir =>
        {
            Directory.CreateDirectory(Path.Combine(dir, "runs", "taken"));
            File.WriteAllText(Path.Combine(dir, "runs", "taken", "settings.json"), """{"epochs": 5}""");
            return Options("--run-id", "taken")(dir);
        }, "run 'taken' already exists"),

        // Resuming.
        ["resume: no such run"] = (Raw("run", "--resume", "ghost"), "no run 'ghost' to resume in"),
        ["resume: run id with a path"] = (Raw("run", "--resume", "../ghost"), "run id '../ghost' is invalid"),
        ["resume: with settings options"] = (Raw("run", "--resume", "ghost", "--epochs", "3"), "--resume runs with the run's stored settings: drop --epochs"),
        ["resume: unreadable stored settings"] = (dir =>
        {
            Directory.CreateDirectory(Path.Combine(dir, "runs", "broken"));
            File.WriteAllText(Path.Combine(dir, "runs", "broken", "settings.json"), "{\"epochs\": ");
            return ["run", "--resume", "broken"];
        }, "runs/broken/settings.json in"),
        ["resume: invalid stored settings"] = (dir =>
        {
            Directory.CreateDirectory(Path.Combine(dir, "runs", "invalid"));
            File.WriteAllText(Path.Combine(dir, "runs", "invalid", "settings.json"), """{"folds": 1}""");
            return ["run", "--resume", "invalid"];
        }, "folds must be between 2 and 100, got 1"),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Fact]
    public void The_table_covers_at_least_sixty_bad_inputs() => Assert.True(Cases.Count >= 60, $"{Cases.Count} cases");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task A_bad_input_exits_2_with_one_line_naming_the_problem_and_leaves_no_results(string name)
    {
        using var dir = new TempDir();
        var (build, named) = Cases[name];
        var args = build(dir.Path);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await DistilleryCli.RunAsync([.. args, "--out", dir.Path], stdout, stderr);

        var error = stderr.ToString();
        Assert.True(code == 2, $"{name}: exit {code}, stderr: {error}");
        var line = Assert.Single(error.TrimEnd().Split('\n'));
        Assert.StartsWith("error: ", line);
        Assert.Contains(named, line);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Exception", line);
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "results.json", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*.pt", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task The_valid_file_the_bad_ones_are_made_from_runs()
    {
        using var dir = new TempDir();
        var stderr = new StringWriter();
        var code = await DistilleryCli.RunAsync([.. Csv(Synthetic())(dir.Path), "--run-id", "control", "--out", dir.Path], new StringWriter(), stderr);
        Assert.True(code == 0, stderr.ToString());
        Assert.True(File.Exists(Path.Combine(dir.Path, "runs", "control", "results.json")));
    }

    /// <summary>Files that look odd but are accepted, as decided: each gives the same cleaned dataset as US_FL itself.</summary>
    public static TheoryData<string> Accepted => new() { "bom", "crlf", "quoted commas", "unsorted dates", "gaps in dates" };

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task Accepted_variants_clean_to_the_same_dataset(string variant)
    {
        using var dir = new TempDir();
        var lines = File.ReadAllLines(RepoPaths.UsFl);
        var (header, rows) = (lines[0], lines[1..]);
        var text = variant switch
        {
            "bom" => "\uFEFF" + string.Join('\n', lines),
            "crlf" => string.Join("\r\n", lines),
            // location_key is one value everywhere (so it is dropped): quoted with a comma inside, it must still be one field.
            "quoted commas" => string.Join('\n', [header, .. rows.Select(r => "\"US_FL, Florida\"" + r[r.IndexOf(',')..])]),
            "unsorted dates" => string.Join('\n', [header, .. rows.Reverse()]),
            "gaps in dates" => string.Join('\n', [header, .. rows.Where((_, i) => i is not (200 or 201 or 300))]),
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };
        var path = Path.Combine(dir.Path, "variant.csv");
        await File.WriteAllTextAsync(path, text, new UTF8Encoding(false));
        var expected = await Prepare(RepoPaths.UsFl, Path.Combine(dir.Path, "original"));
        var actual = await Prepare(path, Path.Combine(dir.Path, "variant"));

        if (variant == "gaps in dates")
        {
            // Kept as they are (the study did): 3 fewer rows and windows, the same first and last dates.
            Assert.Equal(expected.GetProperty("rows").GetInt32() - 3, actual.GetProperty("rows").GetInt32());
            Assert.Equal(expected.GetProperty("windows").GetInt32() - 3, actual.GetProperty("windows").GetInt32());
            Assert.Equal(expected.GetProperty("firstDate").GetString(), actual.GetProperty("firstDate").GetString());
            Assert.Equal(expected.GetProperty("lastDate").GetString(), actual.GetProperty("lastDate").GetString());
            return;
        }
        foreach (var field in new[] { "rows", "windows", "features", "min", "max", "firstDate", "lastDate" })
            Assert.Equal(expected.GetProperty(field).GetRawText(), actual.GetProperty(field).GetRawText());
    }

    private static async Task<JsonElement> Prepare(string data, string outDir)
    {
        var stderr = new StringWriter();
        var code = await DistilleryCli.RunAsync(["prepare", "--data", data, "--out", outDir], new StringWriter(), stderr);
        Assert.True(code == 0, stderr.ToString());
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "dataset.json")));
        return json.RootElement.Clone();
    }
}
