// The types the Grafana files of monitoring-stack/ are type-checked against.
//
// Dashboards: Grafana's published types (@grafana/schema, the version of the
// Grafana image docker-compose.yml runs; its declarations that are imported
// here are vendored in vendor/grafana-schema, mapped by tsconfig.json):
// Dashboard, its panels and rows, and per panel type the options of that
// panel plugin and Prometheus targets.
// Provisioning: Grafana publishes no TypeScript type for its provisioning
// files, so their shape is declared here from Grafana's provisioning
// documentation, with @grafana/schema's DataSourceJsonData for jsonData.
//
// The adapter, GrafanaJson<T>: the generated types describe a dashboard as
// Grafana holds it in memory, not as a file holds it. Two differences:
//  * fields with a default (defaultDashboard, defaultPanel, ...) are required
//    in the types (e.g. DashboardLink.icon, Panel.transparent), while a file
//    may leave them out and Grafana fills them in: every field is optional;
//  * string enums (ThresholdsMode, FieldColorModeId, ...) accept only their
//    enum members, never the JSON string: each becomes the union of its
//    values ("absolute" | "percentage").
// Everything else stays: a field a type does not have is an error (excess
// property check), and so is a value of the wrong type or outside an enum.
// One field is added: `definition` of a query variable, the query as text,
// which Grafana's variable editor writes (QueryVariableModel of
// @grafana/data) and the dashboard schema does not list.
import type { DataSourceJsonData, Dashboard, Panel, RowPanel, VariableModel } from "@grafana/schema";
import type { Options as BarGaugeOptions } from "@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen";
import type { Options as GaugeOptions } from "@grafana/schema/dist/esm/raw/composable/gauge/panelcfg/x/GaugePanelCfg_types.gen";
import type { Options as PieChartOptions } from "@grafana/schema/dist/esm/raw/composable/piechart/panelcfg/x/PieChartPanelCfg_types.gen";
import type { Options as StatOptions } from "@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen";
import type { Options as TableOptions } from "@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen";
import type { Options as TimeSeriesOptions } from "@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen";
import type { PrometheusDataQuery } from "@grafana/schema/dist/esm/raw/composable/prometheus/dataquery/x/PrometheusDataQuery_types.gen";

/** T as a JSON or YAML file holds it (see above). */
export type GrafanaJson<T> =
  T extends string ? `${T}` :
  T extends number | boolean | null | undefined ? T :
  T extends ReadonlyArray<infer Item> ? Array<GrafanaJson<Item>> :
  T extends object ? { [Key in keyof T]?: GrafanaJson<T[Key]> } :
  T;

/** A panel of one plugin type: that plugin's options, Prometheus targets. */
type PanelOf<Type extends string, Options> = Omit<Panel, "type" | "options" | "targets"> & {
  type: Type;
  options?: Options;
  targets?: PrometheusDataQuery[];
};

/** The panel types the dashboards use (a new one is added here). */
export type DashboardPanel =
  | PanelOf<"bargauge", BarGaugeOptions>
  | PanelOf<"gauge", GaugeOptions>
  | PanelOf<"piechart", PieChartOptions>
  | PanelOf<"stat", StatOptions>
  | PanelOf<"table", TableOptions>
  | PanelOf<"timeseries", TimeSeriesOptions>;

export type DashboardRow = Omit<RowPanel, "panels"> & { panels: DashboardPanel[] };

export type DashboardVariable = VariableModel & { definition?: string };

export type DashboardFile = GrafanaJson<Omit<Dashboard, "panels" | "templating"> & {
  panels?: Array<DashboardPanel | DashboardRow>;
  templating?: { list?: DashboardVariable[] };
}>;

/** jsonData of the Prometheus datasource (Grafana's Prometheus datasource documentation). */
interface PrometheusJsonData extends DataSourceJsonData {
  timeInterval?: string;
  queryTimeout?: string;
  httpMethod?: "GET" | "POST";
  exemplarTraceIdDestinations?: Array<{ name: string; datasourceUid?: string; url?: string; urlDisplayLabel?: string }>;
}

/** provisioning/datasources/*.yml */
export interface DatasourcesFile {
  apiVersion: 1;
  deleteDatasources?: Array<{ name: string; orgId?: number }>;
  datasources?: Array<{
    name: string;
    type: string;
    uid?: string;
    orgId?: number;
    access?: "proxy" | "direct";
    url?: string;
    user?: string;
    database?: string;
    basicAuth?: boolean;
    basicAuthUser?: string;
    withCredentials?: boolean;
    isDefault?: boolean;
    editable?: boolean;
    version?: number;
    jsonData?: PrometheusJsonData;
    secureJsonData?: Record<string, string>;
  }>;
}

/** provisioning/dashboards/*.yml */
export interface DashboardProvidersFile {
  apiVersion: 1;
  providers: Array<{
    name: string;
    orgId?: number;
    folder?: string;
    folderUid?: string;
    type: "file";
    disableDeletion?: boolean;
    updateIntervalSeconds?: number;
    allowUiUpdates?: boolean;
    options: { path: string; foldersFromFilesStructure?: boolean };
  }>;
}
