using Distillery.Experiments;

namespace Distillery.Tests.Bench;

public class PresetsTests
{
    [Fact]
    public void Study_leaves_the_settings_unchanged()
    {
        var s = new ExperimentSettings { Seed = 3, Folds = 4 };
        Assert.Same(s, Presets.Apply("study", s));
    }

    [Fact]
    public void Fast_sets_mini_batches_learning_rates_and_epochs_and_nothing_else()
    {
        var s = new ExperimentSettings { Seed = 3, Folds = 4, Threads = 2 };
        var fast = Presets.Apply("fast", s);
        Assert.Equal(s with { BatchSize = 32, Epochs = 40, TeacherLr = 3e-3, StudentLr = 1e-3 }, fast);
        Assert.Empty(fast.Problems());
    }

    [Fact]
    public void Forecast_is_fast_with_last_value_normalisation_top_8_features_and_early_stopping()
    {
        var s = new ExperimentSettings { Seed = 3, Folds = 4, Protocol = "leakage-free" };
        var forecast = Presets.Apply("forecast", s);
        Assert.Equal(Presets.Apply("fast", s) with { Normalization = "last-value", Features = "top:8", EarlyStoppingPatience = 10 }, forecast);
        Assert.Empty(forecast.Problems());
        Assert.True(forecast.ShapeFor(new DatasetArtifact
        {
            Source = "s", Target = "t", Rows = 30, Windows = 7, InputDays = 10, OutputDays = 14, Features = ["t"], Min = [0], Max = [1],
            FirstDate = "2020-01-01", LastDate = "2020-01-30", Dates = [], TargetIndex = 0,
        }).LinearHead);
    }

    [Fact]
    public void Names_are_case_insensitive() => Assert.Equal(32, Presets.Apply(" FAST ", new ExperimentSettings()).BatchSize);

    [Fact]
    public void An_unknown_preset_is_invalid_input_naming_it_and_the_known_ones()
    {
        var e = Assert.Throws<InvalidInputException>(() => Presets.Apply("turbo", new ExperimentSettings()));
        Assert.Contains("'turbo'", e.Message);
        Assert.Contains("study", e.Message);
        Assert.Contains("fast", e.Message);
    }
}
