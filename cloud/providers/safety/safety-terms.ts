import type { SafetyCategory } from './safety-filter.js';

/**
 * A term and its severity (0-7, as Azure AI Content Safety counts). A term is a run of words:
 * `word*` matches any word starting with `word`, `_` matches any one word, and `{group}`
 * stands for each of GROUPS. Matching is by whole words, after the text has been normalised.
 */
export type Term = readonly [pattern: string, severity: number];

export type TermCategory = Exclude<SafetyCategory, 'personal_info'>;

/** Words for groups of people, for hate aimed at a group rather than at broccoli. */
export const GROUPS: readonly string[] = [
  'black', 'white', 'asian', 'asians', 'jew', 'jews', 'jewish', 'muslim', 'muslims', 'christian', 'christians',
  'gay', 'gays', 'lesbian', 'lesbians', 'trans', 'mexican', 'mexicans', 'chinese', 'indian', 'indians',
  'african', 'africans', 'immigrant', 'immigrants', 'refugee', 'refugees', 'arab', 'arabs', 'disabled',
];

export const TERMS: Readonly<Record<TermCategory, readonly Term[]>> = {
  hate: [
    ['nigger*', 7], ['nigga*', 6], ['faggot*', 7], ['fag', 6], ['fags', 6], ['kike', 7], ['kikes', 7],
    ['spic', 6], ['spics', 6], ['chink', 6], ['chinks', 6], ['gook', 6], ['gooks', 6], ['wetback*', 6],
    ['raghead*', 6], ['towelhead*', 6], ['tranny', 6], ['trannies', 6], ['paki', 6], ['pakis', 6],
    ['retard', 4], ['retards', 4], ['retarded', 4], ['dyke', 4], ['dykes', 4],
    ['nazi*', 4], ['white power', 6], ['heil hitler', 6], ['go back to your country', 5],
    ['hate {group}', 4], ['hate all {group}', 5], ['{group} are evil', 5], ['{group} are disgusting', 5],
    ['{group} are animals', 6], ['{group} are stupid', 4], ['{group} people are stupid', 4],
    ['{group} should die', 7], ['kill all {group}', 7],
  ],
  self_harm: [
    ['kill myself', 7], ['killing myself', 7], ['end my life', 7], ['take my own life', 7],
    ['suicide', 6], ['suicidal', 6], ['self harm', 6], ['hurt myself', 6], ['hurting myself', 6],
    ['cut myself', 6], ['cutting myself', 6], ['starve myself', 6], ['want to die', 6], ['wanna die', 6],
    ['wish i was dead', 6], ['wish i were dead', 6], ['want to be dead', 6], ['better off dead', 6],
    ['end it all', 5], ['i want to disappear', 4], ['i hate myself', 4], ['nobody loves me', 3],
    ['no one loves me', 3], ['nobody likes me', 2], ['nobody cares about me', 3],
  ],
  sexual: [
    ['porn*', 7], ['orgasm*', 7], ['masturbat*', 7], ['blowjob*', 7], ['blow job', 7], ['rape', 7], ['raped', 7],
    ['rapes', 7], ['raping', 7], ['rapist*', 7], ['erection*', 6], ['xxx', 6], ['take off your clothes', 6],
    ['touch my private*', 6], ['touch your private*', 6], ['slut*', 6], ['whore*', 6], ['sex', 5], ['sexual*', 5],
    ['horny', 5], ['tits', 5], ['titties', 5], ['stripper*', 5], ['sexy', 4], ['nude', 4], ['nudes', 4],
    ['condom*', 4], ['cock', 4], ['naked', 3], ['boob*', 3], ['private parts', 3], ['making out', 3],
    ['penis', 2], ['vagina', 2],
  ],
  violence: [
    ['kill everyone', 7], ['kill you', 6], ['kill them', 6], ['kill him', 6], ['kill her', 6],
    ['behead*', 6], ['tortur*', 6], ['strangl*', 6], ['massacre*', 6], ['murder*', 5], ['stab', 5], ['stabs', 5],
    ['stabbed', 5], ['stabbing', 5], ['terrorist*', 5], ['beat you up', 5], ['i will hurt you', 5],
    ['shoot you', 5], ['abuse*', 5], ['hits me', 4], ['kill', 4], ['kills', 4], ['killed', 4], ['killing', 4],
    ['killer', 4], ['bomb', 4], ['bombs', 4], ['corpse*', 4], ['beat up', 4], ['hurt you', 4],
    ['shoot', 3], ['shoots', 3], ['shooting', 3], ['shooter*', 3], ['gun', 3], ['guns', 3], ['rifle*', 3],
    ['pistol*', 3], ['weapon*', 3], ['poison*', 3], ['slay', 3], ['slayed', 3], ['slain', 3], ['choke', 3],
    ['hit me', 3], ['blood', 2], ['bloody', 2], ['bleed*', 2], ['dead', 2], ['die', 2], ['dies', 2], ['died', 2],
    ['dying', 2], ['death', 2], ['knife', 2], ['knives', 2], ['punch', 2], ['punched', 2],
  ],
  profanity: [
    ['cunt*', 7], ['motherfuck*', 6], ['twat*', 6], ['fuck*', 5], ['fck*', 5], ['fuk*', 5], ['bitch*', 5],
    ['asshole*', 5], ['arsehole*', 5], ['wank*', 5], ['shit*', 4], ['bullshit', 4], ['bastard*', 4], ['dick', 4],
    ['dicks', 4], ['dickhead*', 4], ['wtf', 4], ['stfu', 4], ['ass', 3], ['arse', 3], ['piss*', 3],
    ['goddamn*', 3], ['douche*', 3], ['prick', 3], ['bollock*', 3], ['screw you', 3], ['damn*', 2], ['dammit', 2],
    ['crap*', 2], ['hell', 2], ['moron*', 2], ['bugger*', 2], ['bloody', 1], ['stupid', 1], ['idiot*', 1],
    ['dumb', 1], ['shut up', 1], ['loser*', 1], ['jerk', 1], ['sucks', 1],
  ],
};

/**
 * Everyday phrases that contain a listed word but mean no harm. A match that touches any of
 * their words does not count, so "kill time" passes while "kill him" does not.
 */
export const HARMLESS_PHRASES: readonly string[] = [
  'kill time', 'killing time', 'killed time', 'kill some time', 'dying to', 'dying for', 'to die for',
  'die laughing', 'died laughing', 'dying of laughter', 'shooting star*', 'shoot for the', 'photo shoot',
  'bamboo shoots', 'new shoots', 'water gun*', 'glue gun*', 'bath bomb*', 'killer whale*', 'killer bee*',
  'cock a doodle*', 'dead tired', 'dead end', 'kill* germs', 'kill* the germs', 'kill* all the germs',
  'kill* bacteria',
];
