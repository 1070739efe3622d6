using Distillery.Data;
using Distillery.Experiments;
using Distillery.Storage;
using Distillery.Tests.Experiments;

namespace Distillery.Tests.Data;

public class DataSpecTests
{
    private const string Google = "https://storage.googleapis.com/covid19-open-data/v3/location";

    public static TheoryData<string, DataSpec> Forms => new()
    {
        { "data/US_FL.csv", new DataSpec.LocalFile("data/US_FL.csv") },
        { "/abs/US_FL.csv", new DataSpec.LocalFile("/abs/US_FL.csv") },
        { "  data/US_FL.csv ", new DataSpec.LocalFile("data/US_FL.csv") },
        { "a=b.csv", new DataSpec.LocalFile("a=b.csv") },
        { "https://storage.googleapis.com/x.csv", new DataSpec.Url("https://storage.googleapis.com/x.csv") },
        { "http://127.0.0.1:9/US_FL.csv", new DataSpec.Url("http://127.0.0.1:9/US_FL.csv") },
        { "file:///etc/passwd", new DataSpec.Url("file:///etc/passwd") },
        { "https://x.example/a.csv?u=https://y", new DataSpec.Url("https://x.example/a.csv?u=https://y") },
        { "US_TX=https://x.example/data.csv", new DataSpec.Url("https://x.example/data.csv", "US_TX") },
        { "location:US_FL", new DataSpec.Location("US_FL") },
        { "LOCATION:US_CA_06001", new DataSpec.Location("US_CA_06001") },
        { "blob:datasets/US_FL/2021-02-08.csv", new DataSpec.Blob("datasets/US_FL/2021-02-08.csv") },
        { "blob:datasets/US_FL/", new DataSpec.Blob("datasets/US_FL/") },
        { "blob:runs/x/results.json", new DataSpec.Blob("runs/x/results.json") },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void Every_form_parses_and_its_text_parses_back_to_it(string text, DataSpec expected)
    {
        var spec = DataSpec.Parse(text);
        Assert.Equal(expected, spec);
        Assert.Equal(spec, DataSpec.Parse(spec.ToString()));
    }

    [Theory]
    [InlineData("data/US_FL.csv")]
    [InlineData("location:US_FL")]
    [InlineData("US_TX=https://x.example/data.csv")]
    [InlineData("blob:datasets/US_FL/")]
    public void Canonical_text_is_kept_as_written(string text) => Assert.Equal(text, DataSpec.Parse(text).ToString());

    [Theory]
    [InlineData("", "no data source given")]
    [InlineData("   ", "no data source given")]
    [InlineData("location:us_fl", "invalid location key 'us_fl': expected a key like US_FL")]
    [InlineData("location:../etc", "invalid location key '../etc'")]
    [InlineData("location:", "invalid location key ''")]
    [InlineData("blob:../secrets.csv", "artifact path '../secrets.csv' is not a clean relative path")]
    [InlineData("blob:datasets/US_FL%2F..%2Fx.csv", "is not a clean relative path")]
    [InlineData("blob:/etc/passwd", "is not a clean relative path")]
    [InlineData("blob:datasets//x.csv", "is not a clean relative path")]
    [InlineData("blob:", "artifact path is empty")]
    [InlineData("us_tx=https://x.example/data.csv", "invalid location key 'us_tx'")]
    public void Bad_text_names_the_problem(string text, string message) =>
        Assert.Contains(message, TestCsv.ErrorOf(() => DataSpec.Parse(text)));

    [Fact]
    public void Location_keys_name_the_v3_per_location_file()
    {
        Assert.Equal($"{Google}/US_FL.csv", new DataSpec.Location("US_FL").DownloadUrl);
        Assert.Equal($"{Google}/GB.csv", new DataSpec.Location("GB").DownloadUrl);
        Assert.Equal($"{Google}/US_CA_06001.csv", new DataSpec.Location("US_CA_06001").DownloadUrl);
        foreach (var bad in new[] { "us_fl", "USA", "US_", "US_FL/../x", "" })
            Assert.StartsWith($"invalid location key '{bad}'", TestCsv.ErrorOf(() => new DataSpec.Location(bad)));
    }

    [Theory]
    [InlineData(null, "US_FL")]
    [InlineData("location:US_TX", "US_TX")]
    [InlineData("blob:datasets/US_GA/2021-02-08.csv", "US_GA")]
    [InlineData("blob:datasets/US_GA/", "US_GA")]
    [InlineData("blob:datasets/x.csv", "x_csv")]
    [InlineData("blob:uploads/texas.csv", "texas")]
    [InlineData("data/covid19-open-data/US_FL.csv", "US_FL")]
    [InlineData("/tmp/my data (v2).csv", "my_data__v2")]
    [InlineData("https://storage.googleapis.com/covid19-open-data/v3/location/US_NY.csv", "US_NY")]
    [InlineData("US_AZ=https://x.example/export.csv", "US_AZ")]
    [InlineData("/tmp/.csv", "data")]
    [InlineData("/tmp/---.csv", "data")]
    [InlineData("/tmp/abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz.csv", "abcdefghijklmnopqrstuvwxyzabcdefghijklmn")]
    public void Location_names_are_readable_and_safe_in_a_path(string? text, string name) =>
        Assert.Equal(name, (text is null ? DataSpec.Default : DataSpec.Parse(text)).LocationName);

    [Theory]
    [InlineData("https://storage.googleapis.com/x.csv", true)]
    [InlineData("location:US_FL", true)]
    [InlineData("blob:datasets/US_FL/a.csv", true)]
    [InlineData("http://storage.googleapis.com/x.csv", false)]
    [InlineData("file:///etc/passwd", false)]
    [InlineData("blob:runs/x/results.json", false)]
    [InlineData("/etc/passwd", false)]
    public void Remote_sources_are_the_ones_the_app_fetches_or_stores(string text, bool remote) =>
        Assert.Equal(remote, DataSpec.Parse(text).IsRemote);

    [Theory]
    [InlineData("location:US_FL", "US_FL")]
    [InlineData("US_TX=https://x.example/data.csv", "US_TX")]
    [InlineData("https://x.example/v3/US_NY.csv", "US_NY")]
    [InlineData("blob:datasets/US_GA/", "US_GA")]
    [InlineData("blob:datasets/US_GA/2021-02-08.csv", "US_GA")]
    [InlineData("https://x.example/export.csv", null)]
    [InlineData("blob:datasets/texas/", null)]
    [InlineData("blob:runs/x/", null)]
    [InlineData("data/US_FL.csv", null)]
    public void Watch_keys_name_the_location_a_watched_dataset_retrains(string text, string? key) =>
        Assert.Equal(key, DataSpec.Parse(text).WatchKey);

    [Fact]
    public void Download_urls_are_those_of_urls_and_location_keys()
    {
        Assert.Equal("https://x.example/a.csv", DataSpec.Parse("US_TX=https://x.example/a.csv").DownloadUrl);
        Assert.Equal($"{Google}/US_FL.csv", DataSpec.Parse("location:US_FL").DownloadUrl);
        Assert.Null(DataSpec.Parse("blob:datasets/US_FL/a.csv").DownloadUrl);
        Assert.Null(DataSpec.Parse("a.csv").DownloadUrl);
        Assert.Null(DataSpec.Default.DownloadUrl);
    }

    [Fact]
    public void A_list_is_comma_separated_and_joins_back()
    {
        var specs = DataSpec.ParseList(" location:US_FL , ,blob:datasets/US_TX/a.csv,");
        Assert.Equal([new DataSpec.Location("US_FL"), new DataSpec.Blob("datasets/US_TX/a.csv")], specs);
        Assert.Equal("location:US_FL,blob:datasets/US_TX/a.csv", DataSpec.Join(specs));
        Assert.Null(DataSpec.Join([DataSpec.Default])); // the default is an unset data
        Assert.Equal("no data source given", TestCsv.ErrorOf(() => DataSpec.ParseList(" , ")));
        Assert.Throws<ArgumentException>(() => DataSpec.Join([DataSpec.Default, new DataSpec.Location("US_FL")]));
    }

    [Fact]
    public async Task Each_kind_loads_from_where_it_names()
    {
        using var dir = new TempDir();
        var store = new LocalDirectoryStore(dir.Path);
        await store.WriteAsync("datasets/US_FL/a.csv", await File.ReadAllBytesAsync(RepoPaths.UsFl));
        var options = new DataSourceOptions();

        Assert.Equal(RepoPaths.UsFl, (await DataSource.LoadAsync(new DataSpec.LocalFile(RepoPaths.UsFl), options)).Source);
        var blob = await DataSource.LoadAsync(DataSpec.Parse("blob:datasets/US_FL/a.csv"), options, store);
        Assert.Equal(("blob:datasets/US_FL/a.csv", 405), (blob.Source, blob.Rows.Count));
        Assert.StartsWith("dataset 'blob:datasets/US_FL/b.csv' not found in ",
            (await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync(DataSpec.Parse("blob:datasets/US_FL/b.csv"), options, store))).Message);
        Assert.Contains("is not a clean relative path", // a folder is no one file
            (await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync(DataSpec.Parse("blob:datasets/US_FL/"), options, store))).Message);
    }

    [Fact]
    public void Settings_keep_data_as_written_and_parse_it_once_into_sources()
    {
        var settings = new ExperimentSettings { Data = "location:US_FL, data/US_TX.csv" };
        Assert.Equal("location:US_FL, data/US_TX.csv", settings.Data);
        Assert.Equal([new DataSpec.Location("US_FL"), new DataSpec.LocalFile("data/US_TX.csv")], settings.Sources);
        Assert.Equal([DataSpec.Default], new ExperimentSettings().Sources);
        Assert.Equal([new DataSpec.Location("GB")], (settings with { Data = "location:GB" }).Sources);
    }

    [Theory]
    [InlineData("location:us_fl", "data invalid location key 'us_fl'")]
    [InlineData("blob:../x.csv", "data artifact path '../x.csv' is not a clean relative path")]
    [InlineData("blob:datasets/US_FL/", "data 'blob:datasets/US_FL/' is a folder, but a run reads one file")]
    [InlineData(" , ", "data no data source given")]
    public void Settings_with_bad_data_name_it_with_the_other_problems(string data, string message)
    {
        var settings = new ExperimentSettings { Data = data, Folds = 1 };
        var error = TestCsv.ErrorOf(() => settings.Validated());
        Assert.Contains(message, error);
        Assert.Contains("folds must be between 2 and 100", error);
        Assert.Throws<InvalidInputException>(() => settings.Sources);
    }
}
