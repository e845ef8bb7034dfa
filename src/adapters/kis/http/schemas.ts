import { z } from 'zod';
import { DEC_RE, INT_RE } from '../common/parse.ts';

/**
 * Response schemas, applied to bodies whose keys were lower-cased (`lowerKeys`). Field names are KIS's,
 * verbatim (kis-protocol.md §3). Lenient on fields we do not read (objects strip unknown keys); strict
 * on the ones we do: a missing or garbled field becomes `KIS_PAYLOAD_INVALID` naming the field.
 * Values are strings on the wire (§2.5); numbers are parsed by the mappers in `parse.ts`.
 */

/** Integer string, surrounding spaces allowed (`"-500"`, `"0001569157"`). */
export const intStr = z.string().trim().regex(INT_RE, 'expected an integer string');
/** Decimal string (`"135440.2517"`, `"-0.87"`). */
export const decStr = z.string().trim().regex(DEC_RE, 'expected a decimal string');
/** `YYYYMMDD`. */
export const ymd = z.string().trim().regex(/^\d{8}$/, 'expected YYYYMMDD');
/** `HHMMSS`. */
export const hms = z.string().trim().regex(/^\d{6}$/, 'expected HHMMSS');
/** `Y` / `N`. */
export const yn = z.string().trim().pipe(z.enum(['Y', 'N']));
/** A code or id without spaces (trimmed), non-empty. */
export const idStr = z.string().trim().regex(/^\S+$/, 'expected a non-empty code');
/** Free text (names), trimmed. */
export const text = z.string().trim();
/** Paging context (`ctx_area_fk100` …): kept verbatim, padding included, and sent back as received. */
export const ctx = z.string();

// ---- OAuth (§2.1–§2.4) ----

export const TokenResponse = z.object({
  access_token: z.string().min(1, 'expected a non-empty token'),
  token_type: z.string().optional(),
  access_token_token_expired: z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'expected "YYYY-MM-DD HH:MM:SS"'),
});
export const ApprovalResponse = z.object({ approval_key: z.string().min(1, 'expected a non-empty key') });
export const HashkeyResponse = z.object({ hash: z.string().min(1, 'expected a non-empty hash') });

// ---- quotations ----

/** inquire-price `output` (§3.1). `hts_kor_isnm` is not in the official example: optional. */
export const InquirePriceResponse = z.object({
  output: z.object({
    stck_shrn_iscd: text.optional(),
    hts_kor_isnm: text.optional(),
    stck_prpr: intStr,
    prdy_vrss: intStr,
    prdy_ctrt: decStr,
    stck_oprc: intStr,
    stck_hgpr: intStr,
    stck_lwpr: intStr,
    acml_vol: intStr,
    acml_tr_pbmn: intStr,
    stck_mxpr: intStr,
    stck_llam: intStr,
    stck_sdpr: intStr,
    aspr_unit: intStr,
    temp_stop_yn: text,
    iscd_stat_cls_code: text,
  }),
});
export type InquirePriceResponse = z.infer<typeof InquirePriceResponse>;

/** Minute-bar answer (§3.2/§3.3); rows are validated one by one after sentinel rows are dropped. */
export const MinuteChartResponse = z.object({
  output1: z.object({ hts_kor_isnm: text.optional() }).optional(),
  output2: z.array(z.unknown()),
});
/** One minute bar row (§3.2 `output2`). Prices as decimals so index bars parse too. */
export const MinuteBarRow = z.object({
  stck_bsop_date: ymd,
  stck_cntg_hour: hms,
  stck_prpr: decStr,
  stck_oprc: decStr,
  stck_hgpr: decStr,
  stck_lwpr: decStr,
  cntg_vol: intStr,
  acml_tr_pbmn: intStr,
});
export type MinuteBarRow = z.infer<typeof MinuteBarRow>;

/** Period chart answer (§3.4). */
export const DailyChartResponse = z.object({
  output1: z.object({ hts_kor_isnm: text.optional() }).optional(),
  output2: z.array(z.unknown()),
});
export const DailyBarRow = z.object({
  stck_bsop_date: ymd,
  stck_clpr: intStr,
  stck_oprc: intStr,
  stck_hgpr: intStr,
  stck_lwpr: intStr,
  acml_vol: intStr,
  acml_tr_pbmn: intStr,
});
export type DailyBarRow = z.infer<typeof DailyBarRow>;

const levels = (prefix: string): Record<string, typeof intStr> =>
  Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`${prefix}${i + 1}`, intStr]));

/** inquire-asking-price-exp-ccn `output1` (§3.5): 10 levels each side. */
export const AskingPriceResponse = z.object({
  output1: z.object({
    aspr_acpt_hour: hms,
    ...levels('askp'),
    ...levels('bidp'),
    ...levels('askp_rsqn'),
    ...levels('bidp_rsqn'),
  }),
});
export type AskingPriceResponse = z.infer<typeof AskingPriceResponse>;

/** chk-holiday (§3.13). */
export const HolidayRow = z.object({ bass_dt: ymd, bzdy_yn: yn, tr_day_yn: yn, opnd_yn: yn, sttl_day_yn: yn });
export const HolidayResponse = z.object({ output: z.array(HolidayRow) });
export type HolidayRow = z.infer<typeof HolidayRow>;

// ---- trading ----

/** A single object or a one-element array (KIS uses both for summary outputs). */
const oneOrMany = <T extends z.ZodType>(s: T) => z.union([z.array(s), s.transform((x) => [x])]);

export const BalanceRow = z.object({
  pdno: idStr,
  prdt_name: text,
  hldg_qty: intStr,
  ord_psbl_qty: intStr,
  pchs_avg_pric: decStr,
  pchs_amt: intStr,
  prpr: decStr,
  evlu_amt: intStr,
  evlu_pfls_amt: intStr,
});
export type BalanceRow = z.infer<typeof BalanceRow>;
export const BalanceSummary = z.object({
  dnca_tot_amt: intStr,
  nxdy_excc_amt: intStr,
  prvs_rcdl_excc_amt: intStr,
  scts_evlu_amt: intStr,
  tot_evlu_amt: intStr,
});
export type BalanceSummary = z.infer<typeof BalanceSummary>;
/** inquire-balance (§3.6): holdings page + cash summary + paging context. */
export const BalanceResponse = z.object({
  ctx_area_fk100: ctx.optional(),
  ctx_area_nk100: ctx.optional(),
  output1: z.array(BalanceRow),
  output2: oneOrMany(BalanceSummary),
});
export type BalanceResponse = z.infer<typeof BalanceResponse>;

/** inquire-psbl-order (§3.7). */
export const PsblOrderResponse = z.object({
  output: z.object({
    ord_psbl_cash: intStr,
    nrcvb_buy_amt: intStr,
    nrcvb_buy_qty: intStr,
    max_buy_amt: intStr,
    max_buy_qty: intStr,
    psbl_qty_calc_unpr: intStr,
  }),
});
export type PsblOrderResponse = z.infer<typeof PsblOrderResponse>;

/** order-cash / order-rvsecncl (§3.8/§3.9): keys come back UPPER-CASE on the wire; lower-cased here. */
export const OrderResponse = z.object({
  output: z.object({ krx_fwdg_ord_orgno: idStr, odno: idStr, ord_tmd: hms }),
});
export type OrderResponse = z.infer<typeof OrderResponse>;

/** inquire-psbl-rvsecncl rows (§3.10). */
export const PsblRvsecnclRow = z.object({
  ord_gno_brno: idStr,
  odno: idStr,
  orgn_odno: text,
  pdno: idStr,
  prdt_name: text,
  ord_dvsn_cd: idStr,
  ord_qty: intStr,
  ord_unpr: intStr,
  ord_tmd: hms,
  tot_ccld_qty: intStr,
  tot_ccld_amt: intStr,
  psbl_qty: intStr,
  sll_buy_dvsn_cd: idStr,
  excg_id_dvsn_cd: text.optional(),
});
export type PsblRvsecnclRow = z.infer<typeof PsblRvsecnclRow>;
export const PsblRvsecnclResponse = z.object({
  ctx_area_fk100: ctx.optional(),
  ctx_area_nk100: ctx.optional(),
  output: z.array(z.unknown()),
});

/** inquire-daily-ccld rows (§3.11). */
export const DailyCcldRow = z.object({
  ord_dt: ymd,
  ord_gno_brno: idStr,
  odno: idStr,
  orgn_odno: text,
  ord_dvsn_cd: idStr,
  sll_buy_dvsn_cd: idStr,
  pdno: idStr,
  prdt_name: text,
  ord_qty: intStr,
  ord_unpr: intStr,
  ord_tmd: hms,
  tot_ccld_qty: intStr,
  avg_prvs: decStr,
  cncl_yn: text,
  tot_ccld_amt: intStr,
  rmn_qty: intStr,
  rjct_qty: intStr,
  excg_id_dvsn_cd: text.optional(),
});
export type DailyCcldRow = z.infer<typeof DailyCcldRow>;
export const DailyCcldResponse = z.object({
  ctx_area_fk100: ctx.optional(),
  ctx_area_nk100: ctx.optional(),
  output1: z.array(z.unknown()),
});
