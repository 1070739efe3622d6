using System.Globalization;
using System.Text;
using Distillery.Experiments;

namespace Distillery.Data;

/// <summary>
/// Synthetic daily data with a COVID-19 Open Data location file's schema (by default US_FL's header, read from the
/// repository's copy at run time), for benchmarks and tests at any number of rows. Values are plausible per column
/// family, and the study's cleaning treats them as it treats the real file: identifiers, static demographics and
/// 0/1 policy flags are constant or two-valued (dropped), <c>cumulative_*</c> are running sums (dropped by name),
/// everything else varies (kept), including the target <c>new_hospitalized_patients</c>. Deterministic per seed.
/// </summary>
public static class SyntheticData
{
    /// <summary>CSV text: US_FL's header and <paramref name="rows"/> consecutive days from 2020-01-01.</summary>
    public static string Generate(int rows, int seed) => Generate(rows, seed, ReadHeader(DefaultData.Path));

    /// <summary>CSV text with the given header (it must contain <c>date</c>).</summary>
    public static string Generate(int rows, int seed, IReadOnlyList<string> header)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentNullException.ThrowIfNull(header);
        if (!header.Contains(StudyCleaning.DateColumn)) throw new ArgumentException("the header has no 'date' column", nameof(header));
        var random = new Random(seed);
        var columns = header.Select(name => Column(name, rows, random)).ToArray();
        var text = new StringBuilder(rows * header.Count * 6);
        text.AppendJoin(',', header.Select(Quote)).Append('\n');
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns.Length; c++)
            {
                if (c > 0) text.Append(',');
                text.Append(columns[c][r]);
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Writes <see cref="Generate(int, int)"/>'s text to <paramref name="path"/> (UTF-8, no BOM).</summary>
    public static void WriteFile(string path, int rows, int seed, IReadOnlyList<string>? header = null)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllText(path, Generate(rows, seed, header ?? ReadHeader(DefaultData.Path)), new UTF8Encoding(false));
    }

    /// <summary>The column names of a CSV file's first line (RFC 4180 quoting, UTF-8 with or without BOM).</summary>
    public static IReadOnlyList<string> ReadHeader(string csvPath)
    {
        using var reader = new StreamReader(csvPath, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var line = reader.ReadLine() ?? throw new InvalidInputException($"{csvPath}: the file is empty");
        var names = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else cell.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { names.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(ch);
        }
        names.Add(cell.ToString());
        return names;
    }

    private static string Quote(string name) => name.Contains(',') || name.Contains('"') ? $"\"{name.Replace("\"", "\"\"")}\"" : name;

    private static readonly string[] Identifiers =
    [
        "location_key", "wikidata_id", "datacommons_id", "country_code", "country_name", "subregion1_code", "subregion1_name",
        "subregion2_code", "subregion2_name", "locality_code", "locality_name", "iso_3166_1_alpha_2", "iso_3166_1_alpha_3",
        "aggregation_level", "openstreetmap_id",
    ];

    private static readonly string[] StaticPrefixes =
    [
        "population", "rural_population", "urban_population", "largest_city_population", "clustered_population",
        "human_", "gdp", "latitude", "longitude", "elevation", "area", "rural_area", "urban_area", "life_expectancy",
        "smoking_prevalence", "diabetes_prevalence", "infant_mortality_rate", "adult_", "pollution_mortality_rate",
        "comorbidity_mortality_rate", "hospital_beds", "nurses", "physicians", "health_expenditure", "out_of_pocket_",
    ];

    private static string[] Column(string name, int rows, Random random)
    {
        var cells = new string[rows];
        var start = new DateOnly(2020, 1, 1);
        if (name == StudyCleaning.DateColumn)
        {
            for (var r = 0; r < rows; r++) cells[r] = start.AddDays(r).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            return cells;
        }
        if (Identifiers.Contains(name))
        {
            Array.Fill(cells, name switch { "aggregation_level" => "1", "country_code" => "US", _ => "SYN" });
            return cells;
        }
        if (StaticPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
        {
            Array.Fill(cells, Number(Math.Round(1000 + random.NextDouble() * 1e6)));
            return cells;
        }
        if (name.StartsWith("lawatlas_", StringComparison.Ordinal))
        {
            var switchDay = random.Next(rows);
            for (var r = 0; r < rows; r++) cells[r] = r < switchDay ? "0" : "1";
            return cells;
        }
        if (name.StartsWith("search_trends_", StringComparison.Ordinal))
        {
            var level = 0.5 + random.NextDouble() * 5;
            var phase = random.NextDouble() * 2 * Math.PI;
            for (var r = 0; r < rows; r++)
                cells[r] = Number(Math.Round(Math.Max(0, level * (1 + 0.3 * Math.Sin(2 * Math.PI * r / 365 + phase)) + 0.2 * Gaussian(random)), 2));
            return cells;
        }
        if (name.StartsWith("mobility_", StringComparison.Ordinal))
        {
            for (var r = 0; r < rows; r++)
                cells[r] = Number(Math.Round(-30 * Wave(r, rows, 0) + 8 * Math.Sin(2 * Math.PI * r / 7) + 3 * Gaussian(random)));
            return cells;
        }
        if (name.Contains("temperature") || name.Contains("dew_point") || name.Contains("humidity") || name.Contains("rainfall")
            || name.Contains("snowfall"))
        {
            for (var r = 0; r < rows; r++)
                cells[r] = Number(Math.Round(Math.Max(0, 22 + 6 * Math.Sin(2 * Math.PI * (r - 100) / 365) + 2 * Gaussian(random)), 1));
            return cells;
        }
        if (name.EndsWith("_closing", StringComparison.Ordinal) || name.EndsWith("_index", StringComparison.Ordinal)
            || name.EndsWith("_restrictions", StringComparison.Ordinal) || name.EndsWith("_campaigns", StringComparison.Ordinal)
            || name.EndsWith("_events", StringComparison.Ordinal) || name.EndsWith("_gatherings", StringComparison.Ordinal)
            || name.EndsWith("_controls", StringComparison.Ordinal) || name.EndsWith("_policy", StringComparison.Ordinal)
            || name.EndsWith("_tracing", StringComparison.Ordinal) || name.EndsWith("_coverings", StringComparison.Ordinal)
            || name.EndsWith("_home_requirements", StringComparison.Ordinal) || name.EndsWith("_support", StringComparison.Ordinal)
            || name.EndsWith("_relief", StringComparison.Ordinal) || name.EndsWith("_transport", StringComparison.Ordinal))
        {
            var steps = new[] { random.Next(rows), random.Next(rows), random.Next(rows) }.Order().ToArray();
            for (var r = 0; r < rows; r++) cells[r] = Number(steps.Count(s => r >= s));
            return cells;
        }
        // Counts: new_*, current_* and anything else numeric: a few epidemic waves, weekly rhythm, noise.
        var scale = Math.Pow(10, 1 + random.NextDouble() * 3);
        var offset = random.Next(60);
        var daily = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            var mean = scale * Wave(r + offset, rows, 1) * (1 + 0.15 * Math.Sin(2 * Math.PI * r / 7));
            daily[r] = Math.Max(0, Math.Round(mean + Math.Sqrt(mean + 1) * Gaussian(random)));
        }
        if (name.StartsWith(StudyCleaning.CumulativePrefix, StringComparison.Ordinal))
        {
            double sum = 0;
            for (var r = 0; r < rows; r++) cells[r] = Number(sum += daily[r]);
        }
        else
        {
            for (var r = 0; r < rows; r++) cells[r] = Number(daily[r]);
        }
        return cells;
    }

    /// <summary>Sum of three epidemic waves in [0, ~1], spread over the series (and repeating past ~400 days).</summary>
    private static double Wave(int day, int rows, int variant)
    {
        double value = 0;
        foreach (var (center, width, height) in new[] { (90.0, 25.0, 0.4), (200.0, 30.0, 1.0), (370.0, 35.0, 0.8) })
        {
            var d = (day % 420) - center - 5 * variant;
            value += height * Math.Exp(-d * d / (2 * width * width));
        }
        return value;
    }

    internal static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static string Number(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}
