using Distillery.Functions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Distillery.Tests.Functions;

/// <summary>The app's options as its services build them (<see cref="DistilleryServices"/>) from the given app settings.</summary>
public static class AppSettings
{
    public static DistilleryOptions Options(params (string Key, string Value)[] settings)
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(config).AddDistillery().BuildServiceProvider();
        return services.GetRequiredService<IOptions<DistilleryOptions>>().Value;
    }
}
