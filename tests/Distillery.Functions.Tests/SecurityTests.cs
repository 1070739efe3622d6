using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using Distillery.Functions;
using Distillery.Functions.Http;
using Distillery.Storage;
using Distillery.Tests.Azurite;
using Microsoft.Azure.Functions.Worker;

namespace Distillery.Tests.Functions;

/// <summary>The API on the internet: keys on every function, limits on every body, no secrets in the repository.</summary>
public class SecurityTests
{
    private static IReadOnlyList<(MethodInfo Method, HttpTriggerAttribute Trigger)> HttpFunctions() =>
        typeof(ExperimentApi).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetParameters().Select(p => (m, p.GetCustomAttribute<HttpTriggerAttribute>())))
            .Where(x => x.Item2 is not null)
            .Select(x => (x.m, x.Item2!))
            .ToList();

    [Fact]
    public void Every_http_function_requires_a_function_key()
    {
        var functions = HttpFunctions();
        Assert.NotEmpty(functions);
        Assert.All(functions, f => Assert.True(f.Trigger.AuthLevel == AuthorizationLevel.Function,
            $"{f.Method.Name} is AuthorizationLevel.{f.Trigger.AuthLevel}"));
    }

    [Fact]
    public void Every_function_that_takes_a_body_is_known_to_enforce_a_size_limit()
    {
        // Each of these reads its body through RequestBody.ReadAsync with a limit, and has a 413 case in
        // BadRequestTests (Content-Length and chunked). A new POST function must be added here and there.
        var withBody = HttpFunctions()
            .Where(f => f.Trigger.Methods?.Any(m => !m.Equals("get", StringComparison.OrdinalIgnoreCase)) == true)
            .Select(f => f.Method.GetCustomAttribute<FunctionAttribute>()!.Name)
            .Order();
        Assert.Equal(["Predict", "StartExperiment", "UploadDataset"], withBody);
    }

    [Fact]
    public void Url_data_is_allowed_only_from_the_allow_list_which_defaults_to_google_storage()
    {
        Assert.Equal(["storage.googleapis.com"], new DistilleryOptions().UrlAllowList);
        Assert.Equal(["storage.googleapis.com"], new Distillery.Data.DataSourceOptions().AllowedHosts);
        Assert.False(new Distillery.Data.DataSourceOptions().AllowInsecureLoopback);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("runs/../../x")]
    [InlineData("runs/a%2F..%2Fb")]
    [InlineData("/etc/passwd")]
    [InlineData("runs\\x")]
    public void Blob_names_are_only_clean_relative_paths(string path) =>
        Assert.Throws<InvalidInputException>(() => ArtifactPath.Validate(path));

    private static string[] TrackedFiles()
    {
        var info = new ProcessStartInfo("git", "ls-files -z") { WorkingDirectory = RepoPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        using var git = Process.Start(info)!;
        var output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, $"git ls-files failed: {git.StandardError.ReadToEnd()}");
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void Only_the_sample_local_settings_are_committed()
    {
        var files = TrackedFiles();
        Assert.Contains("local.settings.sample.json", files);
        Assert.DoesNotContain(files, f => Path.GetFileName(f) == "local.settings.json");
        Assert.Contains("local.settings.json", File.ReadAllLines(Path.Combine(RepoPaths.Root, ".gitignore")));
    }

    [Fact]
    public void No_tracked_file_holds_a_storage_key_other_than_azurites_well_known_one()
    {
        var key = new Regex(@"(AccountKey|SharedAccessKey)\s*=\s*([A-Za-z0-9+/]{20,}={0,2})", RegexOptions.IgnoreCase);
        var sas = new Regex(@"[?&]sig=[A-Za-z0-9%+/]{20,}", RegexOptions.IgnoreCase);
        var found = new List<string>();
        foreach (var file in TrackedFiles())
        {
            var path = Path.Combine(RepoPaths.Root, file);
            if (!File.Exists(path) || new FileInfo(path).Length > 4 << 20) continue;
            var text = File.ReadAllText(path);
            if (text.Contains('\0')) continue; // binary
            found.AddRange(key.Matches(text).Where(m => m.Groups[2].Value != AzuriteServer.AccountKey).Select(m => $"{file}: {m.Value[..Math.Min(24, m.Value.Length)]}…"));
            found.AddRange(sas.Matches(text).Select(m => $"{file}: {m.Value[..Math.Min(16, m.Value.Length)]}…"));
        }
        Assert.Empty(found);
    }
}
