/**
 * Positional column lists of the KIS real-time TRs, verbatim (kis-protocol.md §5.6). Layouts grow at
 * the end over time (H0STCNT0 46→47, H0STASP0 59→63, H0STCNI0 23→26): records are split by
 * `fields / count` and any trailing fields beyond these lists are kept as `extra`.
 */

/** H0STCNT0 (KRX), H0NXCNT0 (NXT), H0UNCNT0 (unified): 46 fields; + MARKET_CLS_CODE from 2026-09-14. */
export const TRADE_COLUMNS = [
  'MKSC_SHRN_ISCD', 'STCK_CNTG_HOUR', 'STCK_PRPR', 'PRDY_VRSS_SIGN', 'PRDY_VRSS', 'PRDY_CTRT', 'WGHN_AVRG_STCK_PRC',
  'STCK_OPRC', 'STCK_HGPR', 'STCK_LWPR', 'ASKP1', 'BIDP1', 'CNTG_VOL', 'ACML_VOL', 'ACML_TR_PBMN', 'SELN_CNTG_CSNU',
  'SHNU_CNTG_CSNU', 'NTBY_CNTG_CSNU', 'CTTR', 'SELN_CNTG_SMTN', 'SHNU_CNTG_SMTN', 'CCLD_DVSN', 'SHNU_RATE',
  'PRDY_VOL_VRSS_ACML_VOL_RATE', 'OPRC_HOUR', 'OPRC_VRSS_PRPR_SIGN', 'OPRC_VRSS_PRPR', 'HGPR_HOUR',
  'HGPR_VRSS_PRPR_SIGN', 'HGPR_VRSS_PRPR', 'LWPR_HOUR', 'LWPR_VRSS_PRPR_SIGN', 'LWPR_VRSS_PRPR', 'BSOP_DATE',
  'NEW_MKOP_CLS_CODE', 'TRHT_YN', 'ASKP_RSQN1', 'BIDP_RSQN1', 'TOTAL_ASKP_RSQN', 'TOTAL_BIDP_RSQN', 'VOL_TNRT',
  'PRDY_SMNS_HOUR_ACML_VOL', 'PRDY_SMNS_HOUR_ACML_VOL_RATE', 'HOUR_CLS_CODE', 'MRKT_TRTM_CLS_CODE', 'VI_STND_PRC',
] as const;

const ASKP = Array.from({ length: 10 }, (_, i) => `ASKP${i + 1}`);
const BIDP = Array.from({ length: 10 }, (_, i) => `BIDP${i + 1}`);
const ASKP_RSQN = Array.from({ length: 10 }, (_, i) => `ASKP_RSQN${i + 1}`);
const BIDP_RSQN = Array.from({ length: 10 }, (_, i) => `BIDP_RSQN${i + 1}`);

/** H0STASP0 (KRX) 59 fields (63 in the current layout); H0NXASP0/H0UNASP0 65. Indices 0–58 shared. */
export const BOOK_COLUMNS = [
  'MKSC_SHRN_ISCD', 'BSOP_HOUR', 'HOUR_CLS_CODE', ...ASKP, ...BIDP, ...ASKP_RSQN, ...BIDP_RSQN,
  'TOTAL_ASKP_RSQN', 'TOTAL_BIDP_RSQN', 'OVTM_TOTAL_ASKP_RSQN', 'OVTM_TOTAL_BIDP_RSQN', 'ANTC_CNPR', 'ANTC_CNQN',
  'ANTC_VOL', 'ANTC_CNTG_VRSS', 'ANTC_CNTG_VRSS_SIGN', 'ANTC_CNTG_PRDY_CTRT', 'ACML_VOL', 'TOTAL_ASKP_RSQN_ICDC',
  'TOTAL_BIDP_RSQN_ICDC', 'OVTM_TOTAL_ASKP_ICDC', 'OVTM_TOTAL_BIDP_ICDC', 'STCK_DEAL_CLS_CODE',
] as const;

/** H0STCNI0 / H0STCNI9, old 23-field layout: fields 0–17 identical to the 26-field layout. */
export const NOTICE_COLUMNS_23 = [
  'CUST_ID', 'ACNT_NO', 'ODER_NO', 'OODER_NO', 'SELN_BYOV_CLS', 'RCTF_CLS', 'ODER_KIND', 'ODER_COND',
  'STCK_SHRN_ISCD', 'CNTG_QTY', 'CNTG_UNPR', 'STCK_CNTG_HOUR', 'RFUS_YN', 'CNTG_YN', 'ACPT_YN', 'BRNC_NO',
  'ODER_QTY', 'ACNT_NAME', 'CNTG_ISNM', 'CRDT_CLS', 'CRDT_LOAN_DATE', 'CNTG_ISNM40', 'ODER_PRC',
] as const;

/** H0STCNI0 / H0STCNI9, 26-field layout (since the 2025 NXT launch). */
export const NOTICE_COLUMNS_26 = [
  'CUST_ID', 'ACNT_NO', 'ODER_NO', 'OODER_NO', 'SELN_BYOV_CLS', 'RCTF_CLS', 'ODER_KIND', 'ODER_COND',
  'STCK_SHRN_ISCD', 'CNTG_QTY', 'CNTG_UNPR', 'STCK_CNTG_HOUR', 'RFUS_YN', 'CNTG_YN', 'ACPT_YN', 'BRNC_NO',
  'ODER_QTY', 'ACNT_NAME', 'ORD_COND_PRC', 'ORD_EXG_GB', 'POPUP_YN', 'FILLER', 'CRDT_CLS', 'CRDT_LOAN_DATE',
  'CNTG_ISNM40', 'ODER_PRC',
] as const;

/** H0STMKO0 / H0NXMKO0 / H0UNMKO0: 10 fields (old) or 11 (with EXCH_CLS_CODE). */
export const MARKET_STATUS_COLUMNS = [
  'MKSC_SHRN_ISCD', 'TRHT_YN', 'TR_SUSP_REAS_CNTT', 'MKOP_CLS_CODE', 'ANTC_MKOP_CLS_CODE', 'MRKT_TRTM_CLS_CODE',
  'DIVI_APP_CLS_CODE', 'ISCD_STAT_CLS_CODE', 'VI_CLS_CODE', 'OVTM_VI_CLS_CODE', 'EXCH_CLS_CODE',
] as const;

/** Kind of a real-time TR, which decides the decoder. */
export type RealtimeKind = 'trade' | 'book' | 'notice' | 'status';

/** Known TR ids: kind, feed venue and the minimum record width we need to decode (kis-protocol.md §5.6). */
export const REALTIME_TRS: Readonly<Record<string, { kind: RealtimeKind; venue: 'KRX' | 'NXT' | 'UNIFIED'; minWidth: number }>> = {
  H0STCNT0: { kind: 'trade', venue: 'KRX', minWidth: 46 },
  H0NXCNT0: { kind: 'trade', venue: 'NXT', minWidth: 46 },
  H0UNCNT0: { kind: 'trade', venue: 'UNIFIED', minWidth: 46 },
  H0STASP0: { kind: 'book', venue: 'KRX', minWidth: 59 },
  H0NXASP0: { kind: 'book', venue: 'NXT', minWidth: 59 },
  H0UNASP0: { kind: 'book', venue: 'UNIFIED', minWidth: 59 },
  H0STCNI0: { kind: 'notice', venue: 'KRX', minWidth: 23 },
  H0STCNI9: { kind: 'notice', venue: 'KRX', minWidth: 23 },
  H0STMKO0: { kind: 'status', venue: 'KRX', minWidth: 10 },
  H0NXMKO0: { kind: 'status', venue: 'NXT', minWidth: 10 },
  H0UNMKO0: { kind: 'status', venue: 'UNIFIED', minWidth: 10 },
};
