package dev.rewind.examples.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Hand-written SVG of the learning curves of one environment: x = environment steps, y = return; per variant a line
 * (mean across seeds of the smoothed return, see {@link LearningCurve}) over a translucent band of plus or minus one
 * standard deviation; the task's threshold as a dashed line, the random policy's return as a dotted line when it
 * falls inside the plotted range; a legend with the seed count of each variant.
 * <p>
 * The y range covers every band and the threshold, except when a few very low early values (e.g. CliffWalking's
 * falls, worth -100 each) would squash the rest of the plot: if the full range is more than three times the range
 * above the 5th percentile of the mean curves, the axis is cut there, the lines leave the plot at its lower edge, and
 * the subtitle says so.
 */
public final class LearningCurvePlot
{
    /** Width of the image in pixels. */
    public static final int WIDTH = 960;
    /** Height of the image in pixels. */
    public static final int HEIGHT = 540;

    private static final int LEFT = 88;
    private static final int RIGHT = WIDTH - 210;
    private static final int TOP = 78;
    private static final int BOTTOM = HEIGHT - 66;
    private static final String FONT = "font-family=\"Helvetica, Arial, 'DejaVu Sans', sans-serif\"";
    private static final double BAND_OPACITY = 0.16;
    private static final double CUT_RATIO = 3.0;
    private static final double CUT_QUANTILE = 0.05;
    private static final double Y_PADDING = 0.04;
    private static final String HALO = "paint-order=\"stroke\" stroke=\"#ffffff\" stroke-width=\"4\" " +
        "stroke-linejoin=\"round\"";

    private LearningCurvePlot()
    {
    }

    /**
     * Renders the plot.
     *
     * @param environment environment name, used in the title.
     * @param task        threshold and random-policy return.
     * @param curves      one curve per variant, drawn in this order.
     * @param colours     CSS colour of each variant.
     * @return the SVG document.
     */
    public static String render(
        final String environment,
        final TaskInfo task,
        final List<LearningCurve> curves,
        final Map<String, String> colours)
    {
        double xMax = 1.0;
        double lo = task.threshold();
        double hi = task.threshold();
        final List<Double> means = new ArrayList<>();
        for (final LearningCurve curve : curves)
        {
            for (int i = 0; i < curve.steps().length; i++)
            {
                xMax = Math.max(xMax, curve.steps()[i]);
                if (curve.count()[i] > 0)
                {
                    lo = Math.min(lo, curve.mean()[i]);
                    hi = Math.max(hi, curve.mean()[i]);
                    means.add(curve.mean()[i]);
                }
            }
        }
        boolean cut = false;
        if (!means.isEmpty())
        {
            final double[] sorted = means.stream().mapToDouble(Double::doubleValue).toArray();
            Arrays.sort(sorted);
            final double robustLow = Math.min(task.threshold(), sorted[(int)(CUT_QUANTILE * (sorted.length - 1))]);
            if (hi - lo > CUT_RATIO * (hi - robustLow) && hi > robustLow)
            {
                lo = robustLow;
                cut = true;
            }
        }
        if (hi - lo < 1e-9)
        {
            lo -= 1.0;
            hi += 1.0;
        }
        final double pad = Y_PADDING * (hi - lo);
        final Axis x = new Axis(0.0, xMax, LEFT, RIGHT);
        final Axis y = new Axis(lo - pad, hi + pad, BOTTOM, TOP);
        final double xStep = niceStep(xMax, 6);
        final double yStep = niceStep(hi - lo, 6);

        final StringBuilder svg = new StringBuilder(64 * 1024);
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
            .append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT).append("\" ")
            .append(FONT).append(">\n");
        svg.append("  <title>").append(escape(environment)).append(": learning curves</title>\n");
        svg.append("  <defs><clipPath id=\"plot-area\"><rect x=\"").append(LEFT).append("\" y=\"").append(TOP)
            .append("\" width=\"").append(RIGHT - LEFT).append("\" height=\"").append(BOTTOM - TOP)
            .append("\"/></clipPath></defs>\n");
        svg.append("  <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");

        final int seedCount = curves.stream().mapToInt(LearningCurve::seeds).max().orElse(0);
        svg.append("  <text x=\"").append(LEFT).append("\" y=\"34\" font-size=\"20\" font-weight=\"bold\" ")
            .append("fill=\"#222222\">").append(escape(environment)).append(": return vs environment steps</text>\n");
        svg.append("  <text x=\"").append(LEFT).append("\" y=\"56\" font-size=\"13\" fill=\"#555555\">")
            .append("Line: mean over seeds of the ").append(Metrics.THRESHOLD_WINDOW)
            .append("-episode moving average; band: \u00b11 standard deviation")
            .append(seedCount > 0 ? " (up to " + seedCount + " seeds)" : "")
            .append(cut ? "; y axis cut at " + format(lo, yStep) : "").append("</text>\n");

        appendGridAndTicks(svg, x, xStep, y, yStep);
        appendReferenceLines(svg, task, x, y);

        svg.append("  <g clip-path=\"url(#plot-area)\">\n");
        for (final LearningCurve curve : curves)
        {
            final String colour = colours.getOrDefault(curve.variant(), "#444444");
            svg.append("    <path class=\"band\" data-variant=\"").append(escape(curve.variant())).append("\" d=\"")
                .append(bandPath(curve, x, y)).append("\" fill=\"").append(colour).append("\" fill-opacity=\"")
                .append(BAND_OPACITY).append("\" stroke=\"none\"/>\n");
        }
        for (final LearningCurve curve : curves)
        {
            final String colour = colours.getOrDefault(curve.variant(), "#444444");
            svg.append("    <path class=\"curve\" data-variant=\"").append(escape(curve.variant())).append("\" d=\"")
                .append(linePath(curve, x, y)).append("\" fill=\"none\" stroke=\"").append(colour)
                .append("\" stroke-width=\"2.2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n");
        }
        svg.append("  </g>\n");

        svg.append("  <line x1=\"").append(LEFT).append("\" y1=\"").append(BOTTOM).append("\" x2=\"").append(RIGHT)
            .append("\" y2=\"").append(BOTTOM).append("\" stroke=\"#444444\" stroke-width=\"1\"/>\n");
        svg.append("  <line x1=\"").append(LEFT).append("\" y1=\"").append(TOP).append("\" x2=\"").append(LEFT)
            .append("\" y2=\"").append(BOTTOM).append("\" stroke=\"#444444\" stroke-width=\"1\"/>\n");
        svg.append("  <text x=\"").append((LEFT + RIGHT) / 2).append("\" y=\"").append(BOTTOM + 48)
            .append("\" font-size=\"14\" fill=\"#333333\" text-anchor=\"middle\">Environment steps</text>\n");
        svg.append("  <text transform=\"translate(").append(LEFT - 62).append(',').append((TOP + BOTTOM) / 2)
            .append(") rotate(-90)\" font-size=\"14\" fill=\"#333333\" text-anchor=\"middle\">Episode return</text>\n");

        appendLegend(svg, curves, colours);
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void appendGridAndTicks(
        final StringBuilder svg, final Axis x, final double xStep, final Axis y, final double yStep)
    {
        final double[] yTicks = ticks(y.min(), y.max(), yStep);
        final double[] xTicks = ticks(x.min(), x.max(), xStep);

        svg.append("  <g class=\"grid\" stroke=\"#e5e5e5\" stroke-width=\"1\">\n");
        for (final double v : yTicks)
        {
            svg.append("    <line x1=\"").append(LEFT).append("\" x2=\"").append(RIGHT).append("\" y1=\"")
                .append(px(y.map(v))).append("\" y2=\"").append(px(y.map(v))).append("\"/>\n");
        }
        for (final double v : xTicks)
        {
            svg.append("    <line x1=\"").append(px(x.map(v))).append("\" x2=\"").append(px(x.map(v)))
                .append("\" y1=\"").append(TOP).append("\" y2=\"").append(BOTTOM).append("\"/>\n");
        }
        svg.append("  </g>\n");
        svg.append("  <g class=\"ticks\" font-size=\"12\" fill=\"#444444\">\n");
        for (final double v : yTicks)
        {
            svg.append("    <text x=\"").append(LEFT - 8).append("\" y=\"").append(px(y.map(v) + 4))
                .append("\" text-anchor=\"end\">").append(escape(format(v, yStep))).append("</text>\n");
        }
        for (final double v : xTicks)
        {
            svg.append("    <text x=\"").append(px(x.map(v))).append("\" y=\"").append(BOTTOM + 20)
                .append("\" text-anchor=\"middle\">").append(escape(formatSteps(v, xStep, x.max())))
                .append("</text>\n");
        }
        svg.append("  </g>\n");
    }

    /**
     * The multiples of {@code step} in [min, max], computed without accumulating rounding errors.
     *
     * @param min  lower end of the axis.
     * @param max  upper end of the axis.
     * @param step tick spacing, positive.
     * @return the tick positions, ascending.
     */
    static double[] ticks(final double min, final double max, final double step)
    {
        final long first = (long)Math.ceil(min / step - 1e-9);
        final long last = (long)Math.floor(max / step + 1e-9);
        final double[] ticks = new double[(int)Math.max(0, last - first + 1)];
        for (int k = 0; k < ticks.length; k++)
        {
            ticks[k] = (first + k) * step;
        }
        return ticks;
    }

    private static void appendReferenceLines(final StringBuilder svg, final TaskInfo task, final Axis x, final Axis y)
    {
        final double ty = y.map(task.threshold());
        svg.append("  <line class=\"threshold\" x1=\"").append(LEFT).append("\" x2=\"").append(RIGHT)
            .append("\" y1=\"").append(px(ty)).append("\" y2=\"").append(px(ty))
            .append("\" stroke=\"#333333\" stroke-width=\"1.3\" stroke-dasharray=\"7 5\"/>\n");
        // Early in training the curves are far from the threshold, so its label goes at the left end.
        svg.append("  <text x=\"").append(LEFT + 8).append("\" y=\"").append(px(ty - 6))
            .append("\" font-size=\"12\" fill=\"#333333\" ").append(HALO).append(">threshold ")
            .append(escape(plain(task.threshold()))).append("</text>\n");
        final double random = task.randomReturn();
        if (Double.isFinite(random) && random >= y.min() && random <= y.max())
        {
            final double ry = y.map(random);
            svg.append("  <line class=\"random\" x1=\"").append(LEFT).append("\" x2=\"").append(RIGHT)
                .append("\" y1=\"").append(px(ry)).append("\" y2=\"").append(px(ry))
                .append("\" stroke=\"#999999\" stroke-width=\"1.3\" stroke-dasharray=\"2 4\"/>\n");
            // Late in training the curves are far from the random policy, so its label goes at the right end.
            svg.append("  <text x=\"").append(RIGHT - 6).append("\" y=\"").append(px(ry < TOP + 20 ? ry + 16 : ry - 6))
                .append("\" font-size=\"12\" fill=\"#777777\" text-anchor=\"end\" ").append(HALO)
                .append(">random policy ")
                .append(escape(plain(random))).append("</text>\n");
        }
    }

    private static void appendLegend(
        final StringBuilder svg, final List<LearningCurve> curves, final Map<String, String> colours)
    {
        final int x0 = RIGHT + 26;
        int y0 = TOP + 6;
        svg.append("  <g class=\"legend\">\n");
        svg.append("    <text x=\"").append(x0).append("\" y=\"").append(y0 + 4)
            .append("\" font-size=\"13\" font-weight=\"bold\" fill=\"#222222\">Variant</text>\n");
        y0 += 26;
        for (final LearningCurve curve : curves)
        {
            final String colour = colours.getOrDefault(curve.variant(), "#444444");
            svg.append("    <rect x=\"").append(x0).append("\" y=\"").append(y0 - 8).append("\" width=\"28\" ")
                .append("height=\"16\" rx=\"2\" fill=\"").append(colour).append("\" fill-opacity=\"")
                .append(BAND_OPACITY).append("\"/>\n");
            svg.append("    <line x1=\"").append(x0).append("\" x2=\"").append(x0 + 28).append("\" y1=\"").append(y0)
                .append("\" y2=\"").append(y0).append("\" stroke=\"").append(colour)
                .append("\" stroke-width=\"2.6\" stroke-linecap=\"round\"/>\n");
            svg.append("    <text x=\"").append(x0 + 38).append("\" y=\"").append(y0 + 4)
                .append("\" font-size=\"13\" fill=\"#222222\">").append(escape(curve.variant()))
                .append("<tspan dx=\"5\" fill=\"#777777\" font-size=\"11\">(").append(curve.seeds())
                .append(1 == curve.seeds() ? " seed)" : " seeds)").append("</tspan></text>\n");
            y0 += 26;
        }
        svg.append("  </g>\n");
    }

    private static String linePath(final LearningCurve curve, final Axis x, final Axis y)
    {
        final StringBuilder d = new StringBuilder();
        boolean pen = false;
        for (int i = 0; i < curve.steps().length; i++)
        {
            if (0 == curve.count()[i])
            {
                pen = false;
                continue;
            }
            d.append(pen ? " L" : (d.isEmpty() ? "M" : " M")).append(px(x.map(curve.steps()[i]))).append(',')
                .append(px(y.map(curve.mean()[i])));
            pen = true;
        }
        return d.toString();
    }

    private static String bandPath(final LearningCurve curve, final Axis x, final Axis y)
    {
        final StringBuilder d = new StringBuilder();
        final int n = curve.steps().length;
        int i = 0;
        while (i < n)
        {
            if (0 == curve.count()[i])
            {
                i++;
                continue;
            }
            int end = i;
            while (end + 1 < n && curve.count()[end + 1] > 0)
            {
                end++;
            }
            for (int k = i; k <= end; k++)
            {
                d.append(k == i ? (d.isEmpty() ? "M" : " M") : " L").append(px(x.map(curve.steps()[k]))).append(',')
                    .append(px(y.map(curve.mean()[k] + curve.sd()[k])));
            }
            for (int k = end; k >= i; k--)
            {
                d.append(" L").append(px(x.map(curve.steps()[k]))).append(',')
                    .append(px(y.map(curve.mean()[k] - curve.sd()[k])));
            }
            d.append(" Z");
            i = end + 1;
        }
        return d.toString();
    }

    /**
     * A "nice" tick spacing of 1, 2 or 5 times a power of ten giving about {@code target} intervals.
     *
     * @param range  extent of the axis, positive.
     * @param target desired number of intervals.
     * @return the tick spacing.
     */
    static double niceStep(final double range, final int target)
    {
        final double raw = range / target;
        final double magnitude = Math.pow(10.0, Math.floor(Math.log10(raw)));
        final double normalised = raw / magnitude;
        final double nice;
        if (normalised < 1.5)
        {
            nice = 1.0;
        }
        else if (normalised < 3.0)
        {
            nice = 2.0;
        }
        else if (normalised < 7.0)
        {
            nice = 5.0;
        }
        else
        {
            nice = 10.0;
        }
        return nice * magnitude;
    }

    /** Tick label with as many decimals as the tick spacing needs. */
    static String format(final double value, final double step)
    {
        final int decimals = Math.max(0, (int)-Math.floor(Math.log10(step) + 1e-9));
        final double rounded = Math.abs(value) < step * 1e-6 ? 0.0 : value;
        return String.format(Locale.ROOT, "%." + decimals + "f", rounded).replace('-', '\u2212');
    }

    /** Step tick label in a unit chosen from the axis maximum: 0, 500, 1,000 / 10k, 12.5k / 1M, 1.5M. */
    static String formatSteps(final double value, final double step, final double axisMax)
    {
        if (Math.abs(value) < step * 1e-6)
        {
            return "0";
        }
        if (axisMax >= 2_000_000)
        {
            return format(value / 1_000_000, step / 1_000_000) + "M";
        }
        if (axisMax >= 2_000)
        {
            return format(value / 1_000, step / 1_000) + "k";
        }
        return format(value, step);
    }

    private static String plain(final double value)
    {
        return value == Math.rint(value) ? String.format(Locale.ROOT, "%.0f", value).replace('-', '\u2212') :
            String.format(Locale.ROOT, "%.1f", value).replace('-', '\u2212');
    }

    private static String px(final double value)
    {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    static String escape(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Linear map from data to pixel coordinates. */
    private record Axis(double min, double max, double pixelMin, double pixelMax)
    {
        double map(final double value)
        {
            return pixelMin + (value - min) / (max - min) * (pixelMax - pixelMin);
        }
    }
}
