using Distillery.Scoring;

namespace Distillery.Tests.Scoring;

public class RelativeWisTests
{
    [Fact]
    public void Is_the_ratio_of_the_mean_scores_on_the_same_windows()
    {
        Assert.Equal(0.5, RelativeWis.Of([1, 2, 3], [2, 4, 6]), 12);
        Assert.Equal(2.0 / 3.0, RelativeWis.Of([1, 1], [0, 3]), 12); // means, not the mean of per-window ratios
        Assert.True(double.IsNaN(RelativeWis.Of([1.0], [0.0])));
        Assert.Throws<ArgumentException>(() => RelativeWis.Of([1.0, 2.0], [1.0]));
        Assert.Throws<ArgumentException>(() => RelativeWis.Of([], []));
    }

    [Fact]
    public void The_baseline_against_itself_is_1_and_a_sharper_correct_model_beats_it()
    {
        var random = new Random(17);
        var history = Enumerable.Range(0, 200).Select(_ => (double)random.Next(80, 120)).ToArray();
        var baseline = HubBaseline.Fit(history, 1);
        var truths = Enumerable.Range(0, 50).Select(_ => (double)random.Next(80, 120)).ToArray();
        var forecasts = truths.Select(_ => baseline.Forecast(history[^1])[0]).ToArray();
        Assert.Equal(1.0, RelativeWis.Of(forecasts, forecasts, truths), 12);
        var perfect = truths.Select(y => new QuantileForecast(Enumerable.Repeat(y, QuantileLevels.Count).ToArray())).ToArray();
        Assert.Equal(0.0, RelativeWis.Of(perfect, forecasts, truths), 12);
    }
}
