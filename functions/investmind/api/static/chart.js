// The price chart (TradingView's lightweight-charts, vendored): candles and volume, SMA 20/60/120, the
// technical analyst's support and resistance, the decision's entry range, stop and target, the as-of day.

import {
  CandlestickSeries, HistogramSeries, LineSeries, LineStyle, createChart, createSeriesMarkers,
} from "./vendor/lightweight-charts.standalone.production.mjs";
import { el } from "./dom.js";
import { t } from "./i18n.js";

const SMA_COLOURS = { sma20: "#f5a623", sma60: "#2962ff", sma120: "#9c27b0" };

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** A chart in ``container`` for one page of bars (GET v1/analyses/{id}/bars); ``update`` draws the levels. */
export function priceChart(container, legend, page) {
  const up = css("--up"), down = css("--down");
  const chart = createChart(container, {
    autoSize: true,
    layout: { background: { color: css("--panel") }, textColor: css("--muted"), fontFamily: css("--font"), fontSize: 11 },
    grid: { vertLines: { color: css("--line") }, horzLines: { color: css("--line") } },
    rightPriceScale: { borderColor: css("--line") }, timeScale: { borderColor: css("--line"), rightOffset: 8 },
    crosshair: { mode: 0 },
  });
  const candles = chart.addSeries(CandlestickSeries, { upColor: up, downColor: down, borderVisible: false, wickUpColor: up, wickDownColor: down });
  candles.setData(page.bars.map((b) => ({ time: b.date, open: b.open, high: b.high, low: b.low, close: b.close })));
  const volume = chart.addSeries(HistogramSeries, { priceFormat: { type: "volume" }, priceScaleId: "volume", lastValueVisible: false, priceLineVisible: false });
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
  volume.setData(page.bars.filter((b) => b.volume !== null).map((b) => ({
    time: b.date, value: b.volume, color: `${b.close >= b.open ? up : down}66`,
  })));
  for (const [key, color] of Object.entries(SMA_COLOURS)) {
    const line = chart.addSeries(LineSeries, { color, lineWidth: 1, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false });
    line.setData(page.bars.filter((b) => b[key] !== null).map((b) => ({ time: b.date, value: b[key] })));
  }
  createSeriesMarkers(candles, [{ time: page.as_of, position: "aboveBar", color: css("--accent"), shape: "arrowDown", text: `${t("as_of_marker")} ${page.as_of}` }]);
  chart.timeScale().fitContent();
  legend.replaceChildren(...Object.entries(SMA_COLOURS).map(([key, color]) => el("span", {}, el("i", { style: `background:${color}` }), key.toUpperCase())));

  let lines = [];
  return {
    /** Draw (again) the price levels: ``[{price, title, color, style}]``. */
    levels(list) {
      for (const line of lines) candles.removePriceLine(line);
      lines = list.filter((level) => Number.isFinite(level.price)).map((level) => candles.createPriceLine({
        price: level.price, color: level.color, lineWidth: 1, lineStyle: level.style ?? LineStyle.Dashed, axisLabelVisible: true, title: level.title,
      }));
    },
    /** The chart as a PNG data URL (for the report and the Markdown export). */
    image: () => chart.takeScreenshot().toDataURL("image/png"),
    /** The last close: the reference of levels given relative to it. */
    close: page.bars.at(-1)?.close ?? null,
    remove: () => chart.remove(),
  };
}

/** The levels of an analysis: the technical analyst's support/resistance and the decision's entry, stop, target. */
export function levelsOf(state, close) {
  const technical = state.agents.technical?.result?.metrics ?? {};
  const given = state.decision;
  // On adjusted-only prices the levels are fractions from the close; the chart's bars are that same
  // adjusted series, so they are drawn at close x (1 + fraction).
  const d = given?.price_basis === "adjusted" ? {
    entry_range: given.entry_range_pct?.map((f) => close * (1 + f)) ?? null,
    stop_loss: given.stop_loss_pct === null || given.stop_loss_pct === undefined ? null : close * (1 + given.stop_loss_pct),
    take_profit: given.take_profit_pct === null || given.take_profit_pct === undefined ? null : close * (1 + given.take_profit_pct),
  } : given;
  const list = [
    { price: technical.support, title: t("support"), color: "#8d99ae", style: LineStyle.Dotted },
    { price: technical.resistance, title: t("resistance"), color: "#8d99ae", style: LineStyle.Dotted },
  ];
  if (d) {
    if (d.entry_range) {
      list.push({ price: d.entry_range[0], title: `${t("entry")} ↓`, color: css("--accent"), style: LineStyle.Solid });
      list.push({ price: d.entry_range[1], title: `${t("entry")} ↑`, color: css("--accent"), style: LineStyle.Solid });
    }
    list.push({ price: d.stop_loss, title: t("stop"), color: "#f23645", style: LineStyle.Solid });
    list.push({ price: d.take_profit, title: t("target"), color: "#089981", style: LineStyle.Solid });
  }
  return list;
}
