using OrleansLlm.Grains.Deployments;
using OrleansLlm.Grains.Interfaces;
using Xunit;

namespace OrleansLlm.Tests.Hosting;

/// <summary>Device names are parsed in one place; what a request for one accepts follows from it.</summary>
public class DeviceNameTests
{
    [Theory]
    [InlineData("cpu", "cpu")]
    [InlineData(" CUDA ", "cuda")]
    [InlineData("cuda:3", "cuda:3")]
    [InlineData("Cuda:0", "cuda:0")]
    public void NamesParseToOneSpelling(string text, string expected) => Assert.Equal(expected, DeviceName.Parse(text).ToString());

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("cudax")]
    [InlineData("")]
    public void OtherNamesAreRefusedInOneLine(string text) =>
        Assert.Equal($"unknown device '{text}' (use cpu, cuda or cuda:N)", Assert.Throws<ArgumentException>(() => DeviceName.Parse(text)).Message);

    [Theory]
    [InlineData("cuda", "cuda:0", true)]
    [InlineData("cuda", "cuda:5", true)]
    [InlineData("cuda", "cpu", false)]
    [InlineData("cuda:1", "cuda:1", true)]
    [InlineData("cuda:1", "cuda:0", false)]
    [InlineData("cuda:0", "cuda", true)]
    [InlineData("cpu", "cpu", true)]
    [InlineData("CPU", "cuda:0", false)]
    public void ARequestForAnyGpuTakesEachAndANumberedOneOnlyItself(string wanted, string offered, bool matches) =>
        Assert.Equal(matches, Planner.Matches(offered, wanted));

    [Fact]
    public void AnUnnumberedGpuOfferedIsTheFirst() => Assert.Equal(DeviceName.Gpu(0), DeviceName.Parse("cuda").Concrete);
}
