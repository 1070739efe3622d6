using System.Net;
using System.Text;
using Distillery.Data;

namespace Distillery.Tests.Data;

public class DataSourceTests
{
    private static readonly DataSourceOptions Loopback = new() { AllowInsecureLoopback = true };

    [Fact]
    public async Task LocalFile()
    {
        var t = await DataSource.LoadAsync(RepoPaths.UsFl, new DataSourceOptions());
        Assert.Equal(405, t.Rows.Count);
        Assert.Equal(RepoPaths.UsFl, t.Source);
    }

    [Fact]
    public async Task MissingLocalFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "distillery-" + Guid.NewGuid().ToString("N") + ".csv");
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync(path, new DataSourceOptions()));
        Assert.Equal($"data file not found: {path}", e.Message);
    }

    [Fact]
    public async Task LocalFileOverLimit()
    {
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync(RepoPaths.UsFl, new DataSourceOptions { MaxBytes = 1L << 20 }));
        Assert.Equal($"{RepoPaths.UsFl}: the file exceeds the 1 MB limit", e.Message);
    }

    [Fact]
    public async Task LocalFileWithBadContent()
    {
        var path = Path.Combine(Path.GetTempPath(), "distillery-" + Guid.NewGuid().ToString("N") + ".csv");
        await File.WriteAllTextAsync(path, "date;x\n2020-01-01;1\n");
        try
        {
            var e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync(path, new DataSourceOptions()));
            Assert.Contains("semicolons (;)", e.Message);
            Assert.StartsWith(path, e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public async Task BadLocationSpec()
    {
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync("location:../etc", new DataSourceOptions()));
        Assert.StartsWith("invalid location key '../etc'", e.Message);
    }

    [Theory]
    [InlineData("http://storage.googleapis.com/covid19-open-data/v3/location/US_FL.csv", "only https:// URLs are allowed: http://storage.googleapis.com/")]
    [InlineData("ftp://storage.googleapis.com/x.csv", "only https:// URLs are allowed: ftp://")]
    [InlineData("https://example.com/US_FL.csv", "host 'example.com' is not allowed: https://example.com/US_FL.csv (allowed hosts: storage.googleapis.com)")]
    [InlineData("https://user:pw@storage.googleapis.com/x.csv", "URLs with user credentials are not allowed")]
    public async Task RefusedUrls(string url, string message)
    {
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync(url, new DataSourceOptions()));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public async Task LoopbackHttpRefusedUnlessAllowed()
    {
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync("http://127.0.0.1:9/US_FL.csv", new DataSourceOptions()));
        Assert.StartsWith("only https:// URLs are allowed: http://127.0.0.1:9/US_FL.csv", e.Message);
        e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync("https://127.0.0.1:9/US_FL.csv", new DataSourceOptions()));
        Assert.StartsWith("host '127.0.0.1' is not allowed", e.Message);
    }

    [Fact]
    public async Task DownloadsFromServer()
    {
        await using var server = new TinyHttpServer();
        var t = await DataSource.LoadAsync(server.Url("/US_FL.csv"), Loopback);
        Assert.Equal(405, t.Rows.Count);
        Assert.Equal(825, t.Columns.Count);
        Assert.Equal(server.Url("/US_FL.csv"), t.Source);
        var d = StudyCleaning.Clean(t, "new_hospitalized_patients");
        Assert.Equal(523, d.Features.Count);
    }

    [Fact]
    public async Task FollowsAllowedRedirects()
    {
        await using var server = new TinyHttpServer();
        var t = await DataSource.LoadAsync(server.Url("/hop1"), Loopback);
        Assert.Equal(405, t.Rows.Count);
        Assert.Equal(server.Url("/US_FL.csv"), t.Source);
    }

    [Fact]
    public async Task RedirectToOtherHostRefused()
    {
        await using var server = new TinyHttpServer();
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync(server.Url("/evil"), Loopback));
        Assert.Equal($"redirect from {server.Url("/evil")} refused: host 'evil.example.com' is not allowed: https://evil.example.com/US_FL.csv (allowed hosts: storage.googleapis.com)", e.Message);
        Assert.DoesNotContain("/US_FL.csv", server.Requests);
    }

    [Fact]
    public async Task RedirectToPlainHttpRefused()
    {
        await using var server = new TinyHttpServer();
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync(server.Url("/downgrade"), Loopback));
        Assert.Contains("refused: only https:// URLs are allowed: http://storage.googleapis.com/", e.Message);
    }

    [Fact]
    public async Task TooManyRedirects()
    {
        await using var server = new TinyHttpServer();
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync(server.Url("/loop"), Loopback));
        Assert.Equal($"too many redirects (more than 5) from URL {server.Url("/loop")}", e.Message);
    }

    [Fact]
    public async Task HttpErrorStatus()
    {
        await using var server = new TinyHttpServer();
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync(server.Url("/missing.csv"), Loopback));
        Assert.Equal($"URL {server.Url("/missing.csv")} returned HTTP 404 (Not Found)", e.Message);
    }

    [Fact]
    public async Task DownloadOverLimitStopsWhileStreaming()
    {
        await using var server = new TinyHttpServer();
        var options = Loopback with { MaxBytes = 100_000 };
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync(server.Url("/US_FL.csv?nolength"), options));
        Assert.Equal($"{server.Url("/US_FL.csv?nolength")}: the file exceeds the 0.095 MB limit", e.Message);
        e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync(server.Url("/US_FL.csv"), options));
        Assert.Contains("exceeds the 0.095 MB limit", e.Message);
    }

    /// <summary>Minimal HTTP/1.1 server on 127.0.0.1 (one request per connection): the CSV, redirects, 404.</summary>
    private sealed class TinyHttpServer : IAsyncDisposable
    {
        private readonly RawHttpServer server;
        private readonly byte[] usFl = File.ReadAllBytes(RepoPaths.UsFl);
        public List<string> Requests { get; } = [];

        public TinyHttpServer() => server = new RawHttpServer(ServeAsync);

        public int Port => server.Port;
        public string Url(string path) => server.Url(path);

        private async Task ServeAsync(RawRequest request)
        {
            lock (Requests) Requests.Add(request.Target);
            var (status, headers, body) = request.Path switch
            {
                "/US_FL.csv" => ("200 OK", "", usFl),
                "/hop1" => ("302 Found", "Location: /hop2\r\n", []),
                "/hop2" => ("301 Moved Permanently", $"Location: {Url("/US_FL.csv")}\r\n", []),
                "/evil" => ("302 Found", "Location: https://evil.example.com/US_FL.csv\r\n", []),
                "/downgrade" => ("307 Temporary Redirect", "Location: http://storage.googleapis.com/x.csv\r\n", []),
                "/loop" => ("302 Found", "Location: /loop\r\n", []),
                _ => ("404 Not Found", "", Encoding.UTF8.GetBytes("nope")),
            };
            await request.AnswerAsync(status, body, headers, withLength: !request.Target.EndsWith("?nolength")); // else: body until close
        }

        public ValueTask DisposeAsync() => server.DisposeAsync();
    }
}
